// workerd's inspector (the Chrome DevTools protocol), for what only the isolate knows: its heap,
// the bytes behind its ArrayBuffers, and a full garbage collection on demand.
// Needs a global WebSocket: Node 22, or Node 20 with --experimental-websocket.

import { createServer } from "node:net";

/** A port that was free a moment ago, for `--inspector-addr`. */
export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Connects to the first isolate on the inspector at `port`: `{ heap(), collectGarbage(), close() }`. */
export async function connect(port) {
  if (typeof WebSocket !== "function") {
    throw new Error("no global WebSocket: run Node 22, or Node 20 with --experimental-websocket");
  }
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((done, fail) => {
    ws.onopen = done;
    ws.onerror = fail;
  });
  let next = 0;
  const pending = new Map();
  ws.onmessage = (message) => {
    const reply = JSON.parse(message.data);
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  };
  const call = (method, params = {}, timeoutMs = 15_000) =>
    new Promise((done, fail) => {
      const id = ++next;
      const timer = setTimeout(() => {
        pending.delete(id);
        fail(new Error(`${method}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error) fail(new Error(`${method}: ${reply.error.message}`));
        else done(reply.result);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    /** `{ usedSize, totalSize, backingStorageSize }`: the JS heap and what its ArrayBuffers hold, in bytes. */
    heap: () => call("Runtime.getHeapUsage"),
    /**
     * A full collection. workerd runs it on a later turn of the isolate, which only a request
     * brings: `poke` makes one, again every 100 ms until the collection is done.
     */
    collectGarbage: async (poke) => {
      let finished = false;
      const done = call("HeapProfiler.collectGarbage").finally(() => (finished = true));
      while (!finished) {
        await poke();
        await Promise.race([done.catch(() => {}), new Promise((wait) => setTimeout(wait, 100))]);
      }
      return done;
    },
    close: () => ws.close(),
  };
}
