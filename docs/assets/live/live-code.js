// Live code blocks: the code blocks that docs/hooks.py marks with data-live become editable, with
// Run, Stop and Reset, and the output of a run under them. Python runs in a module Web Worker
// (worker.mjs: Pyodide, numpy and the repository's files, all from this site), which every block
// shares. Stop terminates it and starts a fresh one.
//
// Each block becomes <div class="live-code"> holding the highlighted block (its <code> is the
// editor: contenteditable, plain text only), a bar with the buttons and a status, and
// <pre class="live-output">. Over file:// (where the browser refuses the worker's module imports)
// or without WebAssembly, the blocks stay as they are and each says how to serve the site instead.
//
// Python stays warm from page to page: with Material's navigation.instant a link swaps only the
// page's content, so this script and its worker live on; each page is set up through document$
// (once per page, on the first load too). Entering a page resets the session to the lesson: the
// repository's modules are imported afresh and the page's examples get a fresh namespace (Python is
// not restarted). Python starts loading as soon as a block comes into view, or the pointer or the
// keyboard reaches one: a reader who never scrolls to a block never loads it.
//
// The reader's edits are kept in this browser (localStorage), under the page, the block and a hash
// of the block's text as the site gives it; they come back on a reload or a return, with a note.
// An edit kept for a different text (the site was rebuilt since) is not applied: the block shows
// the new text and offers the old edit. Runs are never replayed.
//
// Figures (issue 23): a block that shows pictures (live_runner.py: its last value a matplotlib figure
// or the lab's frames, common.Frames, as experiments.playground returns them) shows each in its
// output, as an image with alt text, under what it printed; frames replace one another in the same
// image. A block that draws (the build marks it data-figure) has matplotlib loaded once it is in
// view and Python is warm; a page without one loads none of it. Stop ends a run that is drawing
// frames after the frame being drawn, keeping the frames and Python; the playground
// (.live-playground) adds labelled controls that write the arguments of the block beside them. See
// "figures" below.
//
// A classic script, not a module: over file:// a module script would not run at all, and could not
// say so.
(() => {
  const here = document.currentScript.src;
  const HELP_ID = "live-help"; // the page's note on how to leave an editor
  const MAX_OUTPUT = 200000; // characters shown per run: a runaway print must not eat the page

  const unavailable = location.protocol === "file:"
    ? "To run this code here, serve the site over http: <code>mkdocs serve</code>, or " +
      "<code>mkdocs build</code> then <code>python -m http.server -d site</code>, and open " +
      "<code>http://127.0.0.1:8000/</code>. (Opened as a file, the browser does not let the page start Python.)"
    : typeof WebAssembly !== "object" || typeof Worker !== "function"
      ? "This browser has no WebAssembly (or no Web Workers), so this code cannot run in the page: " +
        "run it with Python on your computer, or open the site in a browser that has them."
      : null;

  // --- the Python session, shared by the pages ------------------------------------------------
  const session = {
    worker: null,
    ready: false,
    runs: new Map(), // id -> the block's handlers, for runs sent and not done
    nextId: 1,
    page: 0, // which page entered: the worker resets to the lesson when a message names a new one
    showing: new Set(), // ids of the runs that have sent a frame and are not done
    figures: false, // whether this Python has loaded what figures need
    start() {
      if (this.worker) return;
      this.ready = false;
      this.worker = new Worker(new URL("worker.mjs", here), { type: "module" });
      this.worker.onmessage = ({ data }) => this.receive(data);
      this.worker.onerror = (event) => {
        event.preventDefault();
        this.fail(`Python could not start: ${event.message || "the worker failed to load"}`);
      };
      this.worker.postMessage({ type: "enter", page: this.page });
    },
    receive(data) {
      if (data.type === "ready") {
        this.ready = true;
        window.liveCodeReady = { seconds: data.seconds, steps: data.steps }; // measured by the tests
        for (const run of this.runs.values()) run.running();
        preloadFigures();
      } else if (data.type === "figures") {
        this.figures = !data.error;
        window.liveFiguresReady = data; // measured by the tests
        for (const run of this.runs.values()) run.running();
      } else if (data.type === "fatal") {
        this.fail(`Python could not start: ${data.message}`);
      } else {
        const run = this.runs.get(data.id);
        if (!run) return;
        if (data.type === "done") {
          this.runs.delete(data.id);
          this.showing.delete(data.id);
          run.done(data.status);
        } else if (data.type === "frame") {
          this.showing.add(data.id);
          run.frame(data);
        } else {
          run.print(data.text, data.type === "err");
        }
      }
    },
    run(request, handlers) {
      this.start();
      const id = this.nextId++;
      this.runs.set(id, handlers);
      this.worker.postMessage({ type: "run", id, page: this.page, ...request });
      if (this.ready) handlers.running();
    },
    fail(message) {
      for (const run of this.runs.values()) run.failed(message);
      this.end();
    },
    end() {
      this.worker?.terminate();
      this.worker = null;
      this.runs.clear();
      this.showing.clear();
      this.figures = false;
    },
    stop(force = false) {
      if (!force && stopFrames(this)) return;
      const stopped = [...this.runs.values()];
      this.end();
      for (const run of stopped) run.stopped();
      this.start(); // a fresh Python, loading while the reader reads
    },
    // A page is entered: its blocks run against the lesson, not against the last page's edits. The
    // worker resets now, while the reader reads. A run still going on the page left (a long loop)
    // would hold up the new page's runs: that Python is ended, and a fresh one starts when needed.
    // Runs that wait for Python to load are dropped (the worker skips them), and the load goes on.
    enter() {
      this.page += 1;
      if (this.runs.size && this.ready) this.end();
      this.runs.clear();
      this.worker?.postMessage({ type: "enter", page: this.page });
    },
  };

  // --- the reader's edits, kept in this browser -----------------------------------------------------
  // Key: live-code|<page's path>|<block's place on the page>|<hash of the block's own text>;
  // value: the edited text.
  const KEY = "live-code";
  const storage = {
    note: null, // the page's one note that says so
    read(prefix) { // [[key, text]] of the keys that start with prefix
      try {
        const found = [];
        for (let i = 0; i < localStorage.length; i++) {
          const key = localStorage.key(i);
          if (key.startsWith(prefix)) found.push([key, localStorage.getItem(key)]);
        }
        return found;
      } catch {
        this.refuse();
        return [];
      }
    },
    write(key, text) {
      try {
        localStorage.setItem(key, text);
      } catch {
        this.refuse();
      }
    },
    remove(prefix) {
      try {
        for (const [key] of this.read(prefix)) localStorage.removeItem(key);
      } catch {
        this.refuse();
      }
    },
    probe() { // on entering a page: say at once if the browser will not keep anything
      this.write(`${KEY}|probe`, "1");
      this.remove(`${KEY}|probe`);
    },
    refuse() { // localStorage threw (blocked, full, or a private window's)
      if (this.note?.isConnected) return;
      const first = document.querySelector(".live-code");
      if (!first) return;
      this.note = document.createElement("p");
      this.note.className = "live-note live-storage-note";
      this.note.setAttribute("role", "note");
      this.note.textContent = "This browser does not let the page keep your edits (storage is " +
        "blocked or full, as in some private windows): they work as usual, but a reload or " +
        "leaving the page loses them.";
      first.before(this.note);
    },
  };

  const hash = (text) => { // FNV-1a, 32 bits: tells two texts apart, nothing more
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return (h >>> 0).toString(16).padStart(8, "0");
  };

  // The block's edits: saved as the reader types, put back when the page is entered, forgotten by
  // Reset. Returns {forget}.
  function keepEdits(live, code, place) {
    const original = codeText(code);
    const prefix = `${KEY}|${location.pathname}|${place}|`;
    const key = prefix + hash(original);
    const note = document.createElement("p");
    note.className = "live-note";
    note.hidden = true;
    live.querySelector(".live-bar").after(note);
    const say = (text, ...buttons) => {
      note.replaceChildren(text, ...buttons);
      note.hidden = false;
    };
    const mine = () => say("Your edit, kept in this browser from an earlier visit. Reset puts " +
      "back the lesson's code.");

    const saved = storage.read(prefix);
    const kept = saved.find(([k]) => k === key);
    const older = saved.find(([k]) => k !== key);
    if (kept) {
      code.textContent = kept[1];
      mine();
    } else if (older) {
      const use = document.createElement("button");
      use.type = "button";
      use.className = "md-button live-use-edit";
      use.textContent = "Use my earlier edit";
      use.addEventListener("click", () => {
        code.textContent = older[1];
        save();
        mine();
      });
      say("You edited this code on an earlier visit, but the lesson's code has changed since: " +
        "this is the new code. ", use);
    }
    function save() {
      const text = codeText(code);
      if (note.querySelector(".live-use-edit")) note.hidden = true; // the earlier edit is replaced
      storage.remove(prefix);
      if (text !== original) storage.write(key, text);
    }
    code.addEventListener("input", save);
    return {
      forget() {
        storage.remove(prefix);
        note.hidden = true;
      },
    };
  }

  // --- one block --------------------------------------------------------------------------------
  const codeText = (code) => code.textContent.replace(/\n$/, "");

  function make(block, place) {
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
      code.dispatchEvent(new Event("input")); // the default input was prevented: say it happened
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
    let summary; // the first sentence of the alt text of the run's last frame, if it showed frames
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
    const finish = (message) => { // the run's end, however it ended
      runButton.disabled = false;
      stopButton.disabled = session.runs.size === 0;
      status.textContent = message;
      output.removeAttribute("aria-busy");
      summary = undefined;
    };

    function run() {
      output.replaceChildren();
      output.hidden = true;
      shown = 0;
      started = performance.now();
      runButton.disabled = true;
      stopButton.disabled = false;
      status.textContent = session.ready ? running(block) : starting(block);
      const data = block.dataset;
      session.run({
        kind: data.live, code: codeText(code), file: data.file ?? null,
        line: Number(data.line ?? 1), region: data.region ?? null, lines: Number(data.lines ?? 1),
        figure: draws(block),
      }, {
        running: () => { status.textContent = running(block); },
        print,
        frame: (data) => {
          showFrame(output, data);
          summary = data.summary;
        },
        done: (result) => {
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          // (a run that showed frames says what its last frame shows)
          finish(result === "stopped" ? `Stopped${summary ? `: ${summary}` : ""} (${seconds} s)`
            : result === "done" && summary !== undefined ? `Done: ${summary} (${seconds} s)`
            : result === "error" ? `Error (${seconds} s)`
            : result === "done" ? `Done (${seconds} s)` : `${result} (${seconds} s)`);
          if (result === "done" && !output.textContent && !output.querySelector("img")) {
            print("(nothing printed)\n");
          }
        },
        stopped: () => finish("Stopped: Python restarted, earlier runs on this page are forgotten"),
        failed: (message) => { print(`${message}\n`, true); finish("Error"); },
      });
    }
    runButton.addEventListener("click", run);
    stopButton.addEventListener("click", () => session.stop());
    resetButton.addEventListener("click", () => {
      code.innerHTML = originalHTML;
      edits.forget();
      output.textContent = "";  // the last run's output was of the edited code
      output.hidden = true;
      status.textContent = "Reset to the file's text (Run to use it)";
    });
    const edits = keepEdits(live, code, place);
    return live;
  }

  // --- figures -------------------------------------------------------------------------------------
  const draws = (block) => block.dataset.figure !== undefined; // the build's mark: it imports the lab
  const starting = (block) => draws(block)
    ? "Starting Python and matplotlib (the first figure loads about 29 MB)…"
    : "Starting Python (the first run loads about 17 MB)…";
  const running = (block) => draws(block) && !session.figures
    ? "Loading matplotlib for the figures (about 12 MB, once)…" : "Running…";
  const STOP_WAIT = 3000; // ms that a run drawing frames gets to stop by itself before Python is ended

  // A frame of the run: into the output's image (made at the first frame, under what was printed so
  // far), replacing the last; the image has the PNG's own size (no jump when it loads) and the frame's
  // alt text. Not announced (the output is aria-busy while frames come, until the run ends): the
  // status says the run's end, with the last frame's first sentence.
  function showFrame(output, { png, alt }) {
    let img = output.querySelector("img.live-figure");
    if (!img) {
      img = document.createElement("img");
      img.className = "live-figure";
      output.append(img);
    }
    const header = new DataView(png.buffer, png.byteOffset); // a PNG's width and height: bytes 16..23
    img.width = header.getUint32(16);
    img.height = header.getUint32(20);
    const old = img.src;
    img.src = URL.createObjectURL(new Blob([png], { type: "image/png" }));
    img.alt = alt;
    if (old) img.decode().catch(() => {}).finally(() => URL.revokeObjectURL(old));
    output.hidden = false;
    output.setAttribute("aria-busy", "true");
  }

  // Stop, while runs draw frames: each ends after the frame being drawn (the worker looks between
  // two), so that its frames stay and Python stays warm; one that has not ended STOP_WAIT later (a
  // long stretch of training between two frames) is stopped as any run is, by ending Python.
  function stopFrames(session) {
    if (!session.showing.size) return false;
    const ids = [...session.showing];
    for (const id of ids) session.worker.postMessage({ type: "stop", id });
    setTimeout(() => {
      if (ids.some((id) => session.runs.has(id))) session.stop(true);
    }, STOP_WAIT);
    return true;
  }

  // A block that draws, in view while Python is warm (or once it is): what figures need starts
  // loading, while the reader reads. Not while Python starts, which it would slow down; not on a page
  // without such a block, nor before the reader reaches one.
  let figureInView = false;
  function watchFigures(blocks) {
    watchingFigures?.disconnect();
    figureInView = false;
    const drawing = blocks.filter(draws);
    if (!drawing.length) return;
    const seen = new Set();
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) seen[entry.isIntersecting ? "add" : "delete"](entry.target);
      figureInView = seen.size > 0;
      preloadFigures();
    });
    watchingFigures = observer;
    for (const block of drawing) {
      observer.observe(block);
      block.parentElement.querySelector(".live-stop").title = "Stop after the frame being drawn, " +
        "which stays (before the first frame: Python restarts, forgetting this page's earlier runs)";
    }
  }

  let preloading = null; // the worker asked to load them
  function preloadFigures() {
    if (!figureInView || !session.ready || session.figures || preloading === session.worker) return;
    preloading = session.worker;
    session.worker.postMessage({ type: "figures" });
  }

  // --- the playground: labelled controls that write the arguments of the block beside them ----------
  // <div class="live-playground"> holds one live block, a call such as experiments.playground(data=
  // "moons", hidden=16, ...). Each control shows the value of its argument in the block's code and
  // writes it there when changed (inside the highlighted token, so the colours stay); an edit of the
  // code moves the controls. A control whose argument the code no longer has is disabled. Enter in a
  // field runs the block.
  const CONTROLS = [ // name, label, and a select's options or an input's attributes
    ["data", "Data", { moons: "two moons", xor: "XOR", circles: "two circles" }],
    ["hidden", "Hidden units", { type: "number", min: 1, max: 256, step: 1 }],
    ["activation", "Hidden activation", { relu: "ReLU", tanh: "tanh", sigmoid: "sigmoid" }],
    ["lr", "Learning rate", { type: "number", min: 0, step: "any" }],
    ["epochs", "Epochs", { type: "number", min: 1, max: 10000, step: 1 }],
    ["seed", "Seed", { type: "number", min: 0, step: 1 }],
  ];
  // name=value in the code: a quoted string, or anything up to a comma, a bracket or a space
  const argument = (name) => new RegExp(`(\\b${name}\\s*=\\s*)("[^"\\n]*"|'[^'\\n]*'|[^,)\\s]+)`);
  let controlIds = 0;

  function playground(element) {
    const live = element.querySelector(":scope > .live-code");
    if (!live || element.querySelector(".live-controls")) return;
    const code = live.querySelector("pre > code");
    const form = document.createElement("form");
    form.className = "live-controls";
    form.setAttribute("aria-label", "Settings, written into the code beside them");
    for (const [name, label, spec] of CONTROLS) {
      const field = document.createElement("div");
      field.className = "live-control";
      const labelled = document.createElement("label");
      labelled.textContent = label;
      labelled.htmlFor = `live-${name}-${++controlIds}`;
      const control = document.createElement(spec.type ? "input" : "select");
      control.id = labelled.htmlFor;
      control.name = name;
      if (spec.type) {
        Object.assign(control, spec);
      } else {
        for (const [value, text] of Object.entries(spec)) control.add(new Option(text, value));
      }
      field.append(labelled, control);
      form.append(field);
    }
    element.prepend(form);

    const fromCode = () => {
      const text = codeText(code);
      for (const control of form.elements) {
        const found = text.match(argument(control.name));
        control.disabled = !found;
        control.title = found ? "" : `The code has no ${control.name}=…: Reset puts it back`;
        const value = found?.[2].replace(/^(["'])(.*)\1$/, "$2");
        if (found && document.activeElement !== control
            && (control.tagName !== "SELECT" || [...control.options].some((o) => o.value === value))) {
          control.value = value;
        }
      }
    };
    form.addEventListener("input", ({ target }) => {
      if (target.value === "" || !target.checkValidity()) return;
      setArgument(code, target.name, target.tagName === "SELECT" ? `"${target.value}"` : target.value);
    });
    const run = live.querySelector(".live-run");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run.click();
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.tagName === "INPUT") {
        event.preventDefault();
        if (!run.disabled) run.click();
      }
    });
    live.querySelector(".live-stop").title = "Stop training after the frame being drawn: it stays, " +
      "with the loss so far";
    new MutationObserver(fromCode).observe(code, { childList: true, characterData: true, subtree: true });
    fromCode();
  }

  // Replace the value of name= in the code by `literal`, in place (the highlighted token keeps its
  // colour) when the value is one text node, and say so (input: the edit is kept).
  function setArgument(code, name, literal) {
    const text = codeText(code);
    const found = argument(name).exec(text);
    if (!found || found[2] === literal) return;
    const start = found.index + found[1].length;
    const end = start + found[2].length;
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    let offset = 0;
    let node = walker.nextNode();
    while (node && offset + node.data.length < end) {
      offset += node.data.length;
      node = walker.nextNode();
    }
    if (node && start >= offset) {
      node.data = node.data.slice(0, start - offset) + literal + node.data.slice(end - offset);
    } else {
      code.textContent = text.slice(0, start) + literal + text.slice(end);
    }
    code.dispatchEvent(new Event("input"));
  }

  // --- each page, as it is entered ------------------------------------------------------------------
  let watching = null; // the last page's IntersectionObserver
  let watchingFigures = null; // and the one for its blocks that draw

  function enter() {
    const blocks = [...document.querySelectorAll("div.highlight[data-live]")];
    watching?.disconnect();
    if (unavailable) {
      for (const block of blocks) {
        const note = document.createElement("p");
        note.className = "live-unavailable";
        note.innerHTML = unavailable;
        block.after(note);
      }
      return;
    }
    session.enter();
    const made = blocks.filter((block, place) => make(block, place)); // the blocks made live
    if (made.length) storage.probe();
    // Python starts loading as soon as a block is in view, or the pointer or a key reaches one.
    // (In view: the highlighted block, not the live block, whose box the playground dissolves.)
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && start());
    const start = () => {
      observer.disconnect();
      session.start();
    };
    watching = observer;
    for (const block of made) {
      observer.observe(block);
      block.parentElement.addEventListener("pointerover", start, { once: true });
      block.parentElement.addEventListener("focusin", start, { once: true });
    }
    watchFigures(made);
    document.querySelectorAll(".live-playground").forEach(playground);
  }

  // Material's document$ emits once per page: at the first load, and after each instant navigation.
  if (typeof document$ === "object") document$.subscribe(enter);
  else enter();
})();
