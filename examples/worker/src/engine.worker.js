// The engine lives here. The import instantiates the module (top-level await) before the
// handler below is installed, so the worker says when it is ready: messages that arrive
// earlier would find no handler.
import { Engine } from "groupgate";

import { tenant } from "./tenant.js";

const engine = new Engine(tenant);

self.onmessage = ({ data }) => {
  // `query` never throws: failures come back as `{ error }` answers.
  self.postMessage({ id: data.id, answer: engine.query(data.request) });
};

self.postMessage({ ready: true });
