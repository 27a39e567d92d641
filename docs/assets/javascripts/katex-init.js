// Typeset the maths with the KaTeX vendored in assets/katex/ (no CDN).
//
// pymdownx.arithmatex (generic: true) leaves the TeX in the page, wrapped in
//   <span class="arithmatex">\( ... \)</span>   inline
//   <div class="arithmatex">\[ ... \]</div>     display
// Material's document$ emits once per page load (and again on every page
// change if navigation.instant is ever switched on), so this runs each time.
// A formula KaTeX cannot parse is shown in red as a .katex-error element
// (throwOnError: false); the browser test fails on any such element.
document$.subscribe(({ body }) => {
  for (const el of body.querySelectorAll(".arithmatex")) {
    if (el.querySelector(".katex")) continue; // already typeset
    const display = el.tagName === "DIV";
    const tex = el.textContent
      .trim()
      .replace(display ? /^\\\[|\\\]$/g : /^\\\(|\\\)$/g, "");
    katex.render(tex, el, { displayMode: display, throwOnError: false });
  }
});
