// The console's entry point: mounts the shell.

import { render } from "preact";

import { App } from "./app.jsx";
import "./styles.css";

render(<App />, document.getElementById("app"));
