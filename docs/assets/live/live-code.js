// Live code blocks: the code blocks that docs/hooks.py marks with data-live become editable, with
// Run, Stop and Reset, and the output of a run under them. Python runs in the page's own module Web
// Worker (worker.mjs: Pyodide, numpy and the repository's files, all from this site), started at the
// first Run; every block of the page shares it. Stop terminates it and starts a fresh one.
//
// Each block becomes <div class="live-code"> holding the highlighted block (its <code> is the
// editor: contenteditable, plain text only), a bar with the buttons and a status, and
// <pre class="live-output">. Over file:// (where the browser refuses the worker's module imports)
// or without WebAssembly, the blocks stay as they are and each says how to serve the site instead.
//
// A classic script, not a module: over file:// a module script would not run at all, and could not
// say so.
(() => {
  const here = document.currentScript.src;
  const HELP_ID = "live-help"; // the page's note on how to leave an editor
  const MAX_OUTPUT = 200000; // characters shown per run: a runaway print must not eat the page

  const blocks = [...document.querySelectorAll("div.highlight[data-live]")];
  if (!blocks.length) return;

  const unavailable = location.protocol === "file:"
    ? "To run this code here, serve the site over http: <code>mkdocs serve</code>, or " +
      "<code>mkdocs build</code> then <code>python -m http.server -d site</code>, and open " +
      "<code>http://127.0.0.1:8000/</code>. (Opened as a file, the browser does not let the page start Python.)"
    : typeof WebAssembly !== "object" || typeof Worker !== "function"
      ? "This browser has no WebAssembly (or no Web Workers), so this code cannot run in the page: " +
        "run it with Python on your computer, or open the site in a browser that has them."
      : null;
  if (unavailable) {
    for (const block of blocks) {
      const note = document.createElement("p");
      note.className = "live-unavailable";
      note.innerHTML = unavailable;
      block.after(note);
    }
    return;
  }

  // --- the page's Python session ----------------------------------------------------------------
  const session = {
    worker: null,
    ready: false,
    runs: new Map(), // id -> the block's handlers, for runs sent and not done
    nextId: 1,
    startedAt: 0,
    start() {
      if (this.worker) return;
      this.ready = false;
      this.startedAt = performance.now();
      this.worker = new Worker(new URL("worker.mjs", here), { type: "module" });
      this.worker.onmessage = ({ data }) => this.receive(data);
      this.worker.onerror = (event) => {
        event.preventDefault();
        this.fail(`Python could not start: ${event.message || "the worker failed to load"}`);
      };
    },
    receive(data) {
      if (data.type === "ready") {
        this.ready = true;
        window.liveCodeReady = { seconds: data.seconds, steps: data.steps }; // measured by the tests
        for (const run of this.runs.values()) run.running();
      } else if (data.type === "fatal") {
        this.fail(`Python could not start: ${data.message}`);
      } else {
        const run = this.runs.get(data.id);
        if (!run) return;
        if (data.type === "done") {
          this.runs.delete(data.id);
          run.done(data.status);
        } else {
          run.print(data.text, data.type === "err");
        }
      }
    },
    run(request, handlers) {
      this.start();
      const id = this.nextId++;
      this.runs.set(id, handlers);
      this.worker.postMessage({ id, ...request });
      if (this.ready) handlers.running();
    },
    fail(message) {
      for (const run of this.runs.values()) run.failed(message);
      this.runs.clear();
      this.worker?.terminate();
      this.worker = null;
    },
    stop() {
      this.worker?.terminate();
      this.worker = null;
      for (const run of this.runs.values()) run.stopped();
      this.runs.clear();
      this.start(); // a fresh Python, loading while the reader reads
    },
  };

  // --- one block --------------------------------------------------------------------------------
  const codeText = (code) => code.textContent.replace(/\n$/, "");

  function make(block) {
    const code = block.querySelector("pre > code");
    if (!code) return;
    const originalHTML = code.innerHTML;
    const live = document.createElement("div");
    live.className = "live-code";
    block.before(live);
    live.append(block);

    code.contentEditable = "plaintext-only";
    code.spellcheck = false;
    code.setAttribute("role", "textbox");
    code.setAttribute("aria-multiline", "true");
    code.setAttribute("aria-label", "Python code: edit, then Run (Ctrl+Enter)");
    // How to leave the editor (Tab indents inside it): said once, in text, above the page's first
    // block, and read out as every editor's description.
    if (!document.getElementById(HELP_ID)) {
      const help = document.createElement("p");
      help.id = HELP_ID;
      help.className = "live-help";
      help.textContent = "The code blocks with a Run button are editable. In the editor, Tab indents; " +
        "to leave it, press Escape, then Tab. Ctrl+Enter runs the block.";
      live.before(help);
    }
    code.setAttribute("aria-describedby", HELP_ID);
    code.addEventListener("keydown", (event) => {
      if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.altKey) {
        event.preventDefault(); // indent; Escape first leaves the editor with Tab as usual
        document.execCommand("insertText", false, "    ");
      } else if (event.key === "Escape") {
        code.blur();
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey || event.shiftKey)) {
        event.preventDefault();
        run();
      }
    });

    // Select all, then type or paste: the new text replaces the block's whole highlighted content as
    // plain text (otherwise the browser would put it inside the first coloured token, in its colour).
    code.addEventListener("beforeinput", (event) => {
      const selection = getSelection();
      if (!selection.rangeCount || selection.isCollapsed) return;
      if (selection.getRangeAt(0).toString().replace(/\n$/, "") !== codeText(code)) return;
      let text;
      if (event.inputType === "insertText" || event.inputType === "insertReplacementText") {
        text = event.data ?? event.dataTransfer?.getData("text/plain") ?? "";
      } else if (event.inputType === "insertFromPaste" || event.inputType === "insertFromDrop") {
        text = event.dataTransfer?.getData("text/plain") ?? "";
      } else if (event.inputType === "insertParagraph" || event.inputType === "insertLineBreak") {
        text = "\n";
      } else if (event.inputType.startsWith("delete")) {
        text = "";
      } else {
        return;
      }
      event.preventDefault();
      code.textContent = text;
      selection.collapse(code.firstChild ?? code, code.firstChild ? text.length : 0);
    });

    const bar = document.createElement("div");
    bar.className = "live-bar";
    const button = (label, title) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `md-button live-${label.toLowerCase()}`;
      b.textContent = label;
      b.title = title;
      bar.append(b);
      return b;
    };
    const runButton = button("Run", "Run this code in the page's Python (Ctrl+Enter)");
    const stopButton = button("Stop", "Stop Python and start a fresh one (forgets this page's earlier runs)");
    const resetButton = button("Reset", "Put back the file's text");
    const status = document.createElement("span");
    status.className = "live-status";
    status.setAttribute("role", "status"); // announced when it changes: Running…, Done, Error
    bar.append(status);
    const output = document.createElement("pre");
    output.className = "live-output";
    output.hidden = true;
    output.setAttribute("role", "log"); // each printed line is announced as it comes
    output.setAttribute("aria-label", "Output");
    output.tabIndex = 0; // it scrolls when long: reachable, and readable, from the keyboard
    live.append(bar, output);
    stopButton.disabled = true;

    let shown = 0;
    let started = 0;
    const print = (text, isError) => {
      if (shown >= MAX_OUTPUT) return;
      text = text.slice(0, MAX_OUTPUT - shown);
      shown += text.length;
      const span = document.createElement("span");
      if (isError) span.className = "live-stderr";
      span.textContent = shown >= MAX_OUTPUT ? `${text}\n[output cut at ${MAX_OUTPUT} characters]\n` : text;
      output.append(span);
      output.hidden = false;
    };
    const finish = (message) => {
      runButton.disabled = false;
      stopButton.disabled = session.runs.size === 0;
      status.textContent = message;
    };

    function run() {
      output.replaceChildren();
      output.hidden = true;
      shown = 0;
      started = performance.now();
      runButton.disabled = true;
      stopButton.disabled = false;
      status.textContent = session.ready ? "Running…" : "Starting Python (the first run loads about 17 MB)…";
      const data = block.dataset;
      session.run({
        kind: data.live, code: codeText(code), file: data.file ?? null,
        line: Number(data.line ?? 1), region: data.region ?? null, lines: Number(data.lines ?? 1),
      }, {
        running: () => { status.textContent = "Running…"; },
        print,
        done: (result) => {
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          finish(result === "error" ? `Error (${seconds} s)` : result === "done"
            ? `Done (${seconds} s)` : `${result} (${seconds} s)`);
          if (result === "done" && !output.textContent) print("(nothing printed)\n");
        },
        stopped: () => finish("Stopped: Python restarted, earlier runs on this page are forgotten"),
        failed: (message) => { print(`${message}\n`, true); finish("Error"); },
      });
    }
    runButton.addEventListener("click", run);
    stopButton.addEventListener("click", () => session.stop());
    resetButton.addEventListener("click", () => {
      code.innerHTML = originalHTML;
      output.textContent = "";  // the last run's output was of the edited code
      output.hidden = true;
      status.textContent = "Reset to the file's text (Run to use it)";
    });
    // Python starts loading at the first Run, or as soon as a reader starts editing: a reader who only
    // reads never loads it.
    code.addEventListener("focus", () => session.start(), { once: true });
  }

  blocks.forEach(make);
})();
