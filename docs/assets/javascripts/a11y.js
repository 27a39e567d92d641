// Accessibility in the page (docs/accessibility.md; test_a11y.py checks all of it in Chromium).
//
// 1. A display formula, a table or a code block that scrolls sideways (on a narrow screen) can be
//    reached and scrolled from the keyboard: while it overflows its box it is in the tab order
//    (tabindex 0), a group named for what it is. When it fits again it leaves the tab order, so a
//    keyboard reader on a wide screen does not Tab through every formula.
// 2. An animation (<figure class="animation">) starts as its still image, with a Play button: the
//    figure's link to the animation file (a.animation-file) is what Play shows. Pause shows the
//    frame it stopped on. Nothing moves until the reader asks.
// 3. The colour toggle is the theme's pair of radio buttons, and the focused one is the scheme shown,
//    so Space (which checks the focused radio) did nothing; Enter switches. Space now does as Enter.

(() => {
  // --- 1. scrolling boxes (the window and the body outlive pages: the listener is added once) -----
  const kinds = [
    // [selector of the element that scrolls, its name]
    ["div.arithmatex", "Formula, scrolls sideways"],
    [".md-typeset__scrollwrap", "Table, scrolls sideways"],
    [".highlight pre > code:not([contenteditable])", "Code, scrolls sideways"],
  ];
  const mark = () => {
    for (const [selector, name] of kinds) {
      for (const el of document.body.querySelectorAll(selector)) {
        const scrolls = el.scrollWidth > el.clientWidth + 1;
        if (scrolls && !el.classList.contains("focusable-scroll")) {
          el.classList.add("focusable-scroll");
          el.tabIndex = 0;
          el.setAttribute("role", "group");
          const title = el.closest(".highlight")?.querySelector(".filename")?.textContent;
          el.setAttribute("aria-label", title ? `${name}: ${title}` : name);
        } else if (!scrolls && el.classList.contains("focusable-scroll")) {
          el.classList.remove("focusable-scroll");
          el.removeAttribute("tabindex");
          el.removeAttribute("role");
          el.removeAttribute("aria-label");
        }
      }
    }
  };
  let pending = false;
  const later = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; mark(); });
  };
  window.addEventListener("resize", later);

  // Material emits document$ once per page (and again per page change with navigation.instant).
  document$.subscribe(({ body }) => {
    later();
    document.fonts.ready.then(later); // KaTeX's fonts change the formulas' widths

    // --- 2. animations that play only when asked ----------------------------------------------------
    for (const figure of body.querySelectorAll("figure.animation")) {
      const still = figure.querySelector("img");
      const file = figure.querySelector("a.animation-file");
      if (!still || !file || figure.querySelector(".animation-play")) continue;
      const stillAlt = still.alt;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "md-button animation-play";
      const show = (playing) => {
        button.textContent = playing ? "Pause the animation" : "Play the animation";
        figure.classList.toggle("playing", playing);
      };
      button.addEventListener("click", () => {
        if (figure.classList.contains("playing")) {
          // Pause: keep the frame on the screen as a still (a GIF cannot be paused in place).
          const canvas = document.createElement("canvas");
          canvas.width = still.naturalWidth;
          canvas.height = still.naturalHeight;
          canvas.getContext("2d").drawImage(still, 0, 0);
          still.src = canvas.toDataURL("image/png");
          still.alt = `${file.dataset.alt ?? stillAlt} (paused)`;
          show(false);
        } else {
          still.src = file.href;
          still.alt = file.dataset.alt ?? stillAlt;
          show(true);
        }
      });
      show(false);
      figure.querySelector("figcaption")?.before(button) ?? figure.append(button);
    }
  });

  // --- 3. the colour toggle: Space as Enter (the header outlives pages, so this is set up once) ------
  document.addEventListener("keydown", (event) => {
    if (event.key !== " " || !event.target.matches?.('input[name="__palette"]')) return;
    event.preventDefault();
    event.target.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
  }, true);
})();
