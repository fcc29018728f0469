// The page's side of the engine worker: each call is a message with an id and a promise.

export class EngineClient {
  constructor() {
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.next = 1;
    this.pending = new Map();
    this.version = null;
    this.ready = new Promise((resolve, reject) => {
      this.worker.addEventListener("error", (event) => reject(new Error(event.message || "the engine worker failed to start")));
      this.resolveReady = resolve;
    });
    this.worker.addEventListener("message", ({ data }) => this.receive(data));
  }

  receive(data) {
    if (data.type === "ready") {
      this.version = data.version;
      this.resolveReady(data.version);
      return;
    }
    const call = this.pending.get(data.call);
    if (!call) return;
    if (data.progress !== undefined) {
      call.onProgress?.(data.progress);
      return;
    }
    this.pending.delete(data.call);
    if (data.error) call.reject(Object.assign(new Error(data.error.message), data.error));
    else call.resolve(data.result);
  }

  /** Asks the worker's handler `type` with `args`; resolves with its result. */
  async call(type, args = {}, onProgress) {
    await this.ready;
    const call = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(call, { resolve, reject, onProgress });
      this.worker.postMessage({ call, type, args });
    });
  }

  /** Any engine request: resolves with the answer, `{ error }` answers included. */
  query(request) {
    return this.call("query", { request });
  }

  batch(requests) {
    return this.call("batch", { requests });
  }
}
