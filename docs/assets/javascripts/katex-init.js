// Typeset the maths with the KaTeX vendored in assets/katex/ (no CDN).
//
// pymdownx.arithmatex (generic: true) leaves the TeX in the page, wrapped in
//   <span class="arithmatex">\( ... \)</span>   inline
//   <div class="arithmatex">\[ ... \]</div>     display
// Material's document$ emits once per page: at the first load, and after each
// link followed with navigation.instant (which swaps only the page's content;
// this script is not run again), so every page is typeset here.
// A formula KaTeX cannot parse (a typo, an unknown macro) is left as raw TeX,
// marked .katex-error and reported on the console: the browser test fails on
// either. (With throwOnError: false KaTeX would draw an unknown macro in red
// inside an otherwise normal formula, which no test would notice.)
document$.subscribe(({ body }) => {
  for (const el of body.querySelectorAll(".arithmatex")) {
    if (el.querySelector(".katex")) continue; // already typeset
    const display = el.tagName === "DIV";
    const tex = el.textContent
      .trim()
      .replace(display ? /^\\\[|\\\]$/g : /^\\\(|\\\)$/g, "");
    try {
      katex.render(tex, el, { displayMode: display, throwOnError: true });
    } catch (err) {
      el.classList.add("katex-error");
      console.error(`KaTeX could not typeset ${tex}: ${err.message}`);
    }
  }
});
