"""Accessibility of the site: WCAG 2.1 AA (docs/accessibility.md), checked in the browser.

- axe-core (vendored in tools/axe/ for these tests only) on every page of the built site, in the light
  and the dark scheme, at 1280 and 320 px, after the maths is typeset and the live blocks are set up:
  no violation of wcag2a, wcag2aa, wcag21a, wcag21aa or wcag22aa, and every "incomplete" result (what
  axe could not decide) of a kind that the accessibility page explains.
- What axe cannot see: no page scrolls sideways at 320 px; every formula reaches Chromium's
  accessibility tree as MathML; every editor says how to leave it; the home page's animation starts
  still and plays and pauses from the keyboard; a keyboard-only reader edits and runs a live block and
  reads its output; focus is visible on every control of a page.
- The figures: the alt text of each says what it shows (never its file name), every percentage it
  quotes is in the generated experiments_log.md, each multi-panel figure has its slides for phones;
  the colour maps stay apart for colour-blind readers (simulated), and test and training points
  differ by marker.

Each test says which mistake it would catch. The pages are visited once (a11y_visit), in one Chromium.
"""

import collections
import hashlib
import html
import re
from pathlib import Path

import numpy as np
import pytest

import test_site
from docs import hooks

ROOT = Path(__file__).resolve().parent
AXE = ROOT / "tools" / "axe" / "axe.min.js"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (1280, 320)  # a laptop, and WCAG's reflow width (1.4.10)
HEIGHT = 900
ACCESSIBILITY_PAGE = ROOT / "docs" / "accessibility.md"
LEAVE_EDITOR = "press Escape, then Tab"  # what every editor's description says

# What axe could not decide, by (rule, axe's reason), and the words of docs/accessibility.md that
# explain it. A kind not listed here fails test_axe_incomplete_results_are_explained: fix it, or
# explain it on the page and here.
EXPLAINED = {
    ("color-contrast", "shortTextContent"): "too short for axe to judge",
    ("color-contrast", "nonBmp"): "symbols outside the basic character set",
    ("color-contrast", "bgOverlap"): "overlapped by another element",
    ("color-contrast", "elmPartiallyObscuring"): "partly covers another",
    ("color-contrast", "elmPartiallyObscured"): "partly covered",
    ("color-contrast", "pseudoContent"): "pseudo-element",
    ("link-in-text-block", None): "underlined",
}

# --- axe in the page -------------------------------------------------------------------------------

# Run axe on the page as it is now; keep what the report needs (axe's full result is megabytes).
AXE_JS = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations", "incomplete"]});
  const nodes = (rule) => rule.nodes.map((n) => ({
    target: n.target.join(" "), html: n.html.slice(0, 160),
    summary: (n.failureSummary || "").slice(0, 300),
    reason: [...n.any, ...n.all, ...n.none].map((c) => c.data?.messageKey).find((k) => k) ?? null,
  }));
  return {violations: result.violations.map((r) => ({id: r.id, nodes: nodes(r)})),
          incomplete: result.incomplete.map((r) => ({id: r.id, nodes: nodes(r)}))};
}"""
# The page is set up: every formula typeset, every marked block made live, the fonts loaded, and
# a11y.js's pass over the scrolling boxes done (it runs on the next frame after a change of width).
SETTLED_JS = """async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  await document.fonts.ready;
  await frame(); await frame();
  // The theme's transitions (a colour fading to the new scheme, ...) taken to their end, which a
  // reader sees a moment later; then the frame after a11y.js's pass.
  document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
                          .forEach((a) => a.finish());
  await frame(); await frame();
  return [...document.querySelectorAll(".arithmatex")].every((el) => el.querySelector(".katex"))
         && [...document.querySelectorAll("div.highlight[data-live]")]
              .every((el) => el.closest(".live-code"));
}"""
# Layout facts axe does not check: the page's sideways overflow, and each scrolling box.
LAYOUT_JS = """() => ({
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  scrolling: [...document.querySelectorAll(
      ".md-content div.arithmatex, .md-content .md-typeset__scrollwrap, .md-content pre > code")]
    .filter((el) => el.scrollWidth > el.clientWidth + 1 && el.checkVisibility())
    .map((el) => ({what: el.className || el.tagName, text: el.textContent.trim().slice(0, 50),
                   tabbable: el.tabIndex >= 0,
                   name: el.getAttribute("aria-label") || el.getAttribute("role") === "textbox"})),
  editors: [...document.querySelectorAll(".live-code code[contenteditable]")].map((code) =>
    document.getElementById(code.getAttribute("aria-describedby"))?.textContent ?? ""),
  help: [...document.querySelectorAll(".live-help")].map((p) => ({
    text: p.textContent, shown: p.checkVisibility(),
    beforeFirst: !!(p.compareDocumentPosition(document.querySelector(".live-code"))
                    & Node.DOCUMENT_POSITION_FOLLOWING)})),
})"""
# Every formula's index on the page, for matching the accessibility tree's nodes to it.
MARK_FORMULAS_JS = """() => { const all = [...document.querySelectorAll(".arithmatex")];
  all.forEach((el, i) => el.setAttribute("data-formula", i)); return all.length; }"""


def switch_scheme(page, scheme: str) -> None:
    """The colour toggle in the header, used as a keyboard user would: focus it, press Enter to go
    dark and Space to come back, so that both keys are tried on every page (Space did nothing on the
    theme's radio button until a11y.js made it do what Enter does)."""
    now = page.evaluate("document.body.dataset.mdColorScheme")
    if now != scheme:  # the radio of the scheme shown is the one labelled "Switch to ..."
        page.focus(f'input.md-option[name="__palette"][data-md-color-scheme="{now}"]')
        page.keyboard.press("Enter" if scheme == "slate" else "Space")
        page.wait_for_function("(s) => document.body.dataset.mdColorScheme === s", arg=scheme, timeout=5000)


def formulas_in_tree(cdp) -> tuple[set[int], list[str]]:
    """(the data-formula indexes with a MathML math node or a named node in Chromium's accessibility
    tree, the names found), from CDP's Accessibility.getFullAXTree and DOM.getDocument."""
    owner = {}  # backend DOM node id -> the data-formula index of the formula it is inside

    def walk(node, formula):
        attributes = dict(zip(node.get("attributes", [])[::2], node.get("attributes", [])[1::2], strict=True))
        formula = int(attributes["data-formula"]) if "data-formula" in attributes else formula
        if formula is not None:
            owner[node["backendNodeId"]] = formula
        for child in node.get("children", []):
            walk(child, formula)

    walk(cdp.send("DOM.getDocument", {"depth": -1})["root"], None)
    heard, names = set(), []
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        formula = owner.get(node.get("backendDOMNodeId"))
        if formula is None or node.get("ignored"):
            continue
        role = node.get("role", {}).get("value")
        name = node.get("name", {}).get("value", "")
        if role in ("MathMLMath", "math") or (role in ("img", "math") and name):
            heard.add(formula)
            names.append(name)
    return heard, names


def visit(site: Path) -> dict:
    """Every page of the site's navigation in one Chromium: axe at each scheme and width, the layout
    facts, and the formulas in the accessibility tree. Returns {"pages": [...], "axe": {(page,
    scheme, width): axe's result}, "layout": {(page, scheme, width): LAYOUT_JS}, "maths": {page:
    (formulas, heard)}}."""
    found = {"axe": {}, "layout": {}, "maths": {}, "errors": []}
    with test_site.serve(site) as base, test_site.chromium() as browser:
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT},
                                      color_scheme="light")
        context.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url
                      else route.abort())
        page = context.new_page()
        page.on("pageerror", lambda error: found["errors"].append(str(error)))
        page.goto(base + "index.html")
        found["pages"] = test_site.nav_urls(page.evaluate(test_site.NAV_JS), base)
        for url in found["pages"]:
            name = url.removeprefix(base)
            page.goto(url)
            page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
            page.evaluate(test_site.UNFOLD_JS)  # every folded block opened, as a reader would
            assert page.evaluate(SETTLED_JS), f"{name}: the maths or the live blocks were not set up"
            page.add_script_tag(path=str(AXE))
            count = page.evaluate(MARK_FORMULAS_JS)
            heard, _ = formulas_in_tree(page.context.new_cdp_session(page))
            found["maths"][name] = (count, heard)
            widths = list(WIDTHS)
            for scheme in ("default", "slate"):
                switch_scheme(page, scheme)
                for width in widths:
                    page.set_viewport_size({"width": width, "height": HEIGHT})
                    page.evaluate(SETTLED_JS)
                    found["axe"][name, scheme, width] = page.evaluate(AXE_JS, AXE_TAGS)
                    found["layout"][name, scheme, width] = page.evaluate(LAYOUT_JS)
                widths.reverse()  # the next scheme starts at the width this one ended on
            switch_scheme(page, "default")
    return found


@pytest.fixture(scope="session")
def a11y_visit(built_site):
    return visit(built_site)


def by_rule(a11y_visit, kind: str) -> dict:
    """{rule: [(page, scheme, width, node), ...]} for axe's `kind` of results."""
    found = collections.defaultdict(list)
    for (page, scheme, width), result in a11y_visit["axe"].items():
        for rule in result[kind]:
            found[rule["id"]] += [(page, scheme, width, node) for node in rule["nodes"]]
    return found


def counts(found: dict) -> str:
    """A table of counts per rule, scheme and width (the shape of the closing note's)."""
    keys = [(scheme, width) for scheme in ("default", "slate") for width in WIDTHS]
    lines = ["rule | " + " | ".join(f"{s} {w}" for s, w in keys)]
    for rule, hits in sorted(found.items()):
        cells = []
        for key in keys:
            mine = [page for page, scheme, width, _ in hits if (scheme, width) == key]
            cells.append(f"{len(mine)} on {len(set(mine))}" if mine else "0")
        lines.append(f"{rule} | " + " | ".join(cells))
    return "\n".join(lines)


# --- the vendored axe -------------------------------------------------------------------------------

def test_axe_is_vendored_as_stated(built_site):
    """tools/axe/axe.min.js is axe-core AXE_VERSION, byte for byte (sha256), with its MPL-2.0 licence
    and the same facts in VENDORED.txt; and it is not shipped in the built site. Catches a file swapped
    or updated without its manifest, and a copy that leaks into the site."""
    data = AXE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == AXE_SHA256
    assert data.startswith(f"/*! axe v{AXE_VERSION}".encode())
    assert "Mozilla Public License" in (AXE.parent / "LICENSE").read_text(encoding="utf-8")
    manifest = (AXE.parent / "VENDORED.txt").read_text(encoding="utf-8")
    assert AXE_VERSION in manifest and AXE_SHA256 in manifest and str(len(data)) in manifest
    shipped = [p.name for p in built_site.rglob("*.js") if p.read_bytes().startswith(b"/*! axe")]
    assert not shipped, shipped
    assert f"axe-core {AXE_VERSION}" in ACCESSIBILITY_PAGE.read_text(encoding="utf-8")


# --- axe on every page --------------------------------------------------------------------------------

@pytest.mark.browser
def test_axe_finds_no_violation(a11y_visit):
    """axe-core finds no violation of WCAG 2.0/2.1 A and AA, nor of 2.2 AA (target size), on any page
    of the navigation, in the light and the dark scheme, at 1280 and 320 px. Catches a colour under
    4.5:1 (line numbers, syntax colours, links, buttons, footer), a link told apart by colour alone, a
    control without a name, a target under 24 px, a box that scrolls but cannot be reached by Tab."""
    pages = {page for page, _, _ in a11y_visit["axe"]}
    assert len(pages) >= 12 and "accessibility.html" in pages, pages
    assert not a11y_visit["errors"], a11y_visit["errors"]
    found = by_rule(a11y_visit, "violations")
    print(f"axe {AXE_VERSION}, violations (elements on pages):\n{counts(found) if found else 'none'}")
    detail = [f"{rule}: {page} ({scheme}, {width} px) {node['target']}: {node['summary']}"
              for rule, hits in found.items() for page, scheme, width, node in hits[:5]]
    assert not found, "\n".join([counts(found), *detail])


@pytest.mark.browser
def test_axe_incomplete_results_are_explained(a11y_visit):
    """Every result that axe could not decide ("incomplete") is listed here, by rule and axe's reason,
    and each kind is one that the accessibility page explains (EXPLAINED). Catches a new kind of
    undecided result that nobody looked at, and an explanation dropped from the page."""
    found = by_rule(a11y_visit, "incomplete")
    kinds = collections.Counter()
    for rule, hits in found.items():
        for *_, node in hits:
            kinds[rule, node["reason"]] += 1
    print(f"axe {AXE_VERSION}, incomplete: {sum(kinds.values())} results")
    for (rule, reason), n in kinds.most_common():
        example = next(node for _, _, _, node in found[rule] if node["reason"] == reason)
        print(f"  {n:5d}  {rule} ({reason}): e.g. {example['html'][:100]}")
    page = " ".join(ACCESSIBILITY_PAGE.read_text(encoding="utf-8").split())
    unexplained = [kind for kind in kinds if kind not in EXPLAINED]
    assert not unexplained, f"undecided by axe, and not explained on the page: {unexplained}"
    for kind, words in EXPLAINED.items():
        assert kind[0] in page and words in page, f"docs/accessibility.md does not explain {kind}: {words!r}"


@pytest.mark.browser
def test_no_page_scrolls_sideways_and_every_scrolling_box_is_reachable(a11y_visit):
    """At 320 px (WCAG 1.4.10, reflow) no page scrolls sideways: only code, tables and display maths
    scroll, inside their own box, and each such box is in the tab order and named (or is an editor).
    Catches a wide element that widens the page, and a box a keyboard cannot scroll."""
    problems = []
    for (page, scheme, width), layout in a11y_visit["layout"].items():
        if layout["overflow"] > 0:
            problems.append(f"{page} ({scheme}, {width} px) scrolls sideways by {layout['overflow']} px")
        problems += [f"{page} ({width} px): a scrolling box not reachable or not named: {box}"
                     for box in layout["scrolling"] if not (box["tabbable"] and box["name"])]
    assert any(layout["scrolling"] for layout in a11y_visit["layout"].values()), "nothing scrolls at 320 px?"
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_every_formula_reaches_the_accessibility_tree(a11y_visit):
    """Every formula of every page (each .arithmatex) has a MathML math node, or a named node, in
    Chromium's accessibility tree (CDP Accessibility.getFullAXTree), which is what a screen reader
    reads. Catches maths hidden from assistive technology (KaTeX's output set to HTML only, or the
    MathML copy hidden with display: none or aria-hidden)."""
    silent = {page: count - len(heard) for page, (count, heard) in a11y_visit["maths"].items()
              if len(heard) < count}
    total = sum(count for count, _ in a11y_visit["maths"].values())
    print(f"formulas in the accessibility tree: {total - sum(silent.values())} of {total}")
    assert total > 500 and not silent, f"formulas with no math node or name, per page: {silent}"


@pytest.mark.browser
def test_every_editor_says_how_to_leave_it(a11y_visit):
    """On every page with live blocks, a visible note above the first block says how to leave the
    editor (Tab indents inside it): Escape, then Tab; and every editor's accessible description
    (aria-describedby) is that note. Catches a keyboard trap nobody is told the way out of."""
    pages = 0
    for (page, *_), layout in a11y_visit["layout"].items():
        if not layout["editors"]:
            continue
        pages += 1
        assert len(layout["help"]) == 1 and layout["help"][0]["shown"] and layout["help"][0]["beforeFirst"], (
            page, layout["help"])
        assert LEAVE_EDITOR in layout["help"][0]["text"], layout["help"]
        assert all(LEAVE_EDITOR in text for text in layout["editors"]), (page, layout["editors"])
    assert pages >= 5 * 4, f"live blocks on only {pages // 4} pages"


# --- motion and keyboard ---------------------------------------------------------------------------

# Where the keyboard's focus is, and whether it shows: an outline, or Material's own ring on the label
# of its (invisible) colour toggle.
FOCUS_JS = """() => {
  const el = document.activeElement;
  const drawn = el.matches("input.md-option") ? el.nextElementSibling : el;  // the toggle's label
  const cs = getComputedStyle(drawn);
  return {cls: String(el.className),
          text: (el.getAttribute("aria-label") || el.textContent).trim().slice(0, 40),
          ring: (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 1) || cs.boxShadow !== "none",
          body: el === document.body};
}"""
# Nothing runs a block's Python until Run: wait for a block's run to end.
RUN_DONE_JS = """(block) => !block.querySelector(".live-run").disabled
                   && /^(Done|Error)/.test(block.querySelector('[role="status"]').textContent)"""


def tab_to(page, test_js: str, most: int = 400) -> int:
    """Press Tab until test_js (about document.activeElement) holds; the number of presses."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if page.evaluate(test_js):
            return presses
    raise AssertionError(f"{most} presses of Tab never reached {test_js}")


def keyboard_visit(site: Path) -> dict:
    """A keyboard-only reader, in one Chromium: on the home page, the animation's Play and Pause, and
    focus at every Tab stop; on the forward page, Tab to the first live block, edit it, Escape, Tab to
    Run, Enter, read the output; Reset with Space. And the home page again with reduced motion asked
    for. Screenshots (for a person to look at) go next to the site."""
    seen = {"requests": []}  # (motion, url) of every request
    with test_site.serve(site) as base, test_site.chromium() as browser:
        for motion in ("no-preference", "reduce"):
            context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT},
                                          reduced_motion=motion)
            context.on("request", lambda request, m=motion: seen["requests"].append((m, request.url)))
            page = context.new_page()
            page.goto(base + "index.html")
            page.evaluate(SETTLED_JS)
            still = page.locator("figure.animation img")
            seen[motion, "still"] = still.evaluate("(img) => img.currentSrc")
            play = "document.activeElement.matches('.animation-play')"
            seen[motion, "tabs to play"] = tab_to(page, play, most=60)
            seen[motion, "play name"] = page.evaluate("document.activeElement.textContent")
            seen[motion, "gif before play"] = [url for m, url in seen["requests"]
                                               if m == motion and url.endswith(".gif")]
            page.keyboard.press("Enter")
            page.wait_for_function("(img) => img.complete && img.currentSrc.endsWith('.gif')",
                                   arg=still.element_handle(), timeout=10000)
            seen[motion, "playing"] = (still.evaluate("(img) => img.currentSrc"),
                                       page.evaluate("document.activeElement.textContent"))
            page.keyboard.press("Space")
            page.wait_for_function("(img) => img.complete && img.currentSrc.startsWith('data:image/png')",
                                   arg=still.element_handle(), timeout=10000)
            seen[motion, "paused"] = (page.evaluate("document.activeElement.textContent"),
                                      still.evaluate("(img) => img.alt"))
            if motion == "no-preference":
                shot = site.parent / "animation-paused.png"
                page.locator("figure.animation").screenshot(path=str(shot))
                page.keyboard.press("Shift+Tab")
                page.evaluate("window.scrollTo(0, 0); document.activeElement.blur()")
                page.goto(base + "index.html")
                page.evaluate(SETTLED_JS)
                seen["focus"] = []
                for _ in range(200):  # every Tab stop of the home page, till the focus leaves it
                    page.keyboard.press("Tab")
                    focus = page.evaluate(FOCUS_JS)
                    if focus["body"] or (seen["focus"] and focus == seen["focus"][0]):
                        break
                    seen["focus"].append(focus)
            context.close()

        # The keyboard walk: Tab to a live block, edit it, leave it, Run, read the output.
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT})
        page = context.new_page()
        page.goto(base + "forward.html")
        page.evaluate(SETTLED_JS)
        page.keyboard.press("Tab")  # Material's "Skip to content", the page's first Tab stop
        seen["skip"] = page.evaluate("document.activeElement.textContent.trim()")
        page.keyboard.press("Enter")
        seen["tabs to editor"] = tab_to(page, "document.activeElement.matches('code[contenteditable]')")
        editing = ("[...document.querySelectorAll('.live-code')]"
                   ".findIndex((b) => b.contains(document.activeElement))")
        block = page.locator(".live-code").nth(page.evaluate(editing))  # pinned: the focus moves on
        page.keyboard.press("Control+A")
        page.keyboard.type("print(6 * 7)")
        page.keyboard.press("Tab")  # inside the editor, Tab indents
        seen["after tab"] = (page.evaluate("document.activeElement.matches('code[contenteditable]')"),
                             block.locator("pre > code").text_content())
        page.keyboard.press("Escape")
        page.keyboard.press("Tab")
        seen["run focus"] = page.evaluate(FOCUS_JS)
        block.locator(".live-run").scroll_into_view_if_needed()
        page.screenshot(path=str(site.parent / "run-focus.png"))
        page.keyboard.press("Enter")
        page.wait_for_function(RUN_DONE_JS, arg=block.element_handle(), timeout=120000)
        seen["status"] = block.get_by_role("status").text_content()
        seen["output"] = block.get_by_role("log", name="Output").text_content()
        seen["after run"] = page.evaluate(FOCUS_JS)
        tab_to(page, "document.activeElement.matches('.live-reset')", most=3)
        page.keyboard.press("Space")
        seen["reset"] = (block.locator("pre > code").text_content(), seen["status"] and
                         block.get_by_role("status").text_content())
    return seen


@pytest.fixture(scope="session")
def keys(built_site):
    return keyboard_visit(built_site)


@pytest.mark.browser
def test_the_animation_starts_still_and_plays_only_when_asked(keys):
    """The home page's training animation starts as its still frame (WCAG 2.2.2: nothing moves for more
    than 5 s unless asked), with or without prefers-reduced-motion, and the GIF is not even fetched until
    Play; a Play button, named, reached with Tab, starts it with Enter; the same button, now named
    Pause, stops it with Space on the frame it reached. Catches an animation that plays by itself, and
    a control a keyboard or a screen reader cannot use."""
    for motion in ("no-preference", "reduce"):
        assert keys[motion, "still"].endswith("/visualizations/training_moons.png"), keys[motion, "still"]
        assert keys[motion, "play name"] == "Play the animation"
        gif, name = keys[motion, "playing"]
        assert gif.endswith("/visualizations/training_moons.gif") and name == "Pause the animation"
        assert keys[motion, "paused"][0] == "Play the animation" and "(paused)" in keys[motion, "paused"][1]
        assert keys[motion, "gif before play"] == [], keys[motion, "gif before play"]
    assert keys["no-preference", "tabs to play"] < 40, keys["no-preference", "tabs to play"]


@pytest.mark.browser
def test_focus_is_visible_at_every_tab_stop_of_the_home_page(keys):
    """Tab through the whole home page: every element that takes the focus is on screen (or scrolled
    to) and draws a focus ring (WCAG 2.4.7). Catches an `outline: none` with nothing in its place."""
    stops = keys["focus"]
    assert len(stops) >= 15, stops
    hidden = [stop for stop in stops if not stop["ring"]]
    assert not hidden, hidden


@pytest.mark.browser
def test_a_keyboard_alone_edits_and_runs_a_live_block(keys):
    """Without a mouse: Skip to content, Tab to the first live block of the forward page, select all and
    type new code (Tab there indents: the focus stays), Escape then Tab reaches Run, whose focus ring is
    drawn; Enter runs it; the status (role=status) and the output (role=log, named Output) say what
    happened; Space on Reset puts the file's text back. Catches a keyboard trap in the editor, a Run a
    keyboard cannot reach, and output a screen reader is not told about."""
    assert keys["skip"] == "Skip to content"
    stays, text = keys["after tab"]
    assert stays and text.startswith("print(6 * 7)") and text.rstrip("\n") != "print(6 * 7)", text
    assert keys["run focus"]["cls"].split()[:2] == ["md-button", "live-run"] and keys["run focus"]["ring"]
    assert keys["status"].startswith("Done"), keys["status"]
    assert keys["output"].strip() == "42", keys["output"]
    code, status = keys["reset"]
    assert "print(6 * 7)" not in code and status.startswith("Reset"), (code, status)


# --- colour in the figures -----------------------------------------------------------------------------

# Machado, Oliveira and Fernandes (2009), "A physiologically-based model for simulation of color vision
# deficiency", the matrices for full severity, applied to linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
    "typical": np.eye(3).tolist(),
}
APART = 20  # CIE76 colour difference at which two lines or two ends of a scale are clearly told apart
STEP = 3  # and two neighbouring bands of a filled contour (about one just-noticeable difference: 2.3)


def seen_as(rgb, vision: str) -> np.ndarray:
    """CIELAB (D65) of sRGB colours (rows, in [0, 1]) as a reader with `vision` sees them."""
    rgb = np.asarray(rgb, dtype=np.float64)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(linear @ np.array(CVD[vision]).T, 0, 1)
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def test_the_figures_colours_hold_up_for_colour_blind_readers():
    """Simulated for protanopia, deuteranopia and tritanopia (and typical vision): the three activations'
    line colours (experiments.ACTIVATION_COLORS) stay at least APART from each other; the probability
    field (RdBu_r in 10 bands at alpha 0.6 on white, as plot_field draws it) keeps its two ends APART and
    every band STEP from the next; the confusion matrix's Blues keeps its lightness strictly falling.
    Catches a palette whose colours merge for a colour-blind reader (tanh's tab:green and relu's
    tab:orange were 4.6 apart for a protanope)."""
    import matplotlib
    from matplotlib.colors import to_rgb

    import experiments
    lines = np.array([to_rgb(c) for c in experiments.ACTIVATION_COLORS.values()])
    bands = 0.6 * matplotlib.colormaps["RdBu_r"](np.linspace(0.05, 0.95, 10))[:, :3] + 0.4
    blues = matplotlib.colormaps["Blues"](np.linspace(0, 1, 9))[:, :3]
    report = []
    for vision in CVD:
        lab = seen_as(lines, vision)
        closest = min(np.linalg.norm(lab[i] - lab[j]) for i in range(len(lab)) for j in range(i))
        field = seen_as(bands, vision)
        ends, steps = np.linalg.norm(field[0] - field[-1]), np.linalg.norm(np.diff(field, axis=0), axis=1)
        lightness = seen_as(blues, vision)[:, 0]
        report.append(f"{vision}: activations {closest:.1f} apart; field ends {ends:.1f}, "
                      f"bands {steps.min():.1f}; Blues lightness {np.round(lightness).astype(int).tolist()}")
        assert closest >= APART and ends >= APART and steps.min() >= STEP, report[-1]
        assert np.all(np.diff(lightness) < 0), report[-1]
    print("\n".join(report))


def test_test_and_training_points_differ_by_marker():
    """plot_field, which draws every decision-boundary panel, draws the test points with another marker
    than the training points (and says which in the legend), so they differ for a reader who cannot tell
    the colours apart. Catches both drawn as the same dots."""
    import common
    import experiments
    import mlp
    plt = common.pyplot()
    fig, ax = plt.subplots()
    train, test = experiments.TASKS["moons"]
    experiments.plot_field(ax, mlp.init_params([2, 3, 1], "relu", 0), "relu", train, test)
    marks = {c.get_label(): c.get_paths()[0].vertices.round(6).tobytes() for c in ax.collections
             if c.get_label() in ("train", "test")}
    plt.close(fig)
    assert set(marks) == {"train", "test"} and marks["train"] != marks["test"], marks


# --- figures ------------------------------------------------------------------------------------------

IMAGE = re.compile(r"<img [^>]*>")


def attribute(tag: str, name: str) -> str | None:
    found = re.search(rf'\s{name}="([^"]*)"', tag)
    return html.unescape(found[1]) if found else None


def test_every_figure_says_what_it_shows(built_site):
    """Every image in a page's content has alt text that says what it shows, in words: at least 60
    characters, never its file name nor "figure" or "image" alone; the further slides of a multi-panel
    figure (alt="", shown on phones) are hidden from screen readers, since the figure's own alt text
    describes every panel. Every decimal number an alt text gives (a result, "held-out accuracy 96.9
    %") is in the generated experiments_log.md, so a result that a new run changes cannot go stale
    there unnoticed. And every data figure has a link to the table of its numbers beside it, or a
    link to the experiment that made it. Catches a figure added with alt text "Loss curve", and a
    result quoted in alt text that the lab no longer produces."""
    log = (ROOT / "experiments_log.md").read_text(encoding="utf-8")
    problems, figures = [], 0
    for page in sorted(built_site.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        content = text[text.index('<article'):text.index('</article>')]
        for tag in IMAGE.findall(content):
            src, alt = attribute(tag, "src"), attribute(tag, "alt")
            where = f"{page.name}: {src}"
            hidden_panel = r'<a class="figure-panel"[^>]*aria-hidden="true"[^>]*><picture><source [^>]*>' \
                + re.escape(tag)
            if alt == "" and re.search(hidden_panel, content):
                continue
            figures += 1
            if alt is None or len(alt) < 60 or Path(src).name in alt or alt.lower() in ("figure", "image"):
                problems.append(f"{where}: alt text {alt!r} does not say what the figure shows")
                continue
            problems += [f"{where}: its alt text gives {number}, which experiments_log.md does not"
                         for number in re.findall(r"\d+\.\d+", alt) if number not in log]
        for figure in re.finditer(r'<p><a [^>]*href="visualizations/(\w+)\.png"', content):
            if f"{figure[1]}.png" in hooks.DIAGRAMS:  # drawn, not measured: no numbers
                continue
            end = content.index("</p>", figure.end())  # the figure's paragraph, its slides included
            after = content[end:end + 1500]
            numbers = r'<p class="figure-numbers"><a href="#numbers-\d+">|href="training\.html#'
            if not re.search(numbers, after):
                problems.append(f"{page.name}: {figure[1]}.png links to no table of its numbers")
    assert figures >= 10 and not problems, "\n".join(problems)


def test_multi_panel_figures_become_their_slides_on_a_phone(built_site):
    """Every slide in visualizations/slides/ belongs to exactly one figure of docs/hooks.FIGURE_SLIDES (a
    new multi-panel figure is not forgotten), and every such figure on the site is a <picture> whose
    source at 600 px and below is its first slide, followed by its other slides, in order. Catches a
    six-panel strip sent to a phone as six thumbnails."""
    listed = [slide for slides in hooks.FIGURE_SLIDES.values() for slide in slides]
    files = sorted(p.stem for p in (ROOT / "visualizations" / "slides").glob("*.png"))
    assert sorted(listed) == files, (set(listed) ^ set(files))
    shown = 0
    for page in sorted(built_site.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        for name, slides in hooks.FIGURE_SLIDES.items():
            for place in re.finditer(rf'<a class="figure-panels" href="visualizations/{name}">', text):
                shown += 1
                block = text[place.start():place.start() + 6000]
                first = f'<source media="{hooks.PHONE}" srcset="visualizations/slides/{slides[0]}.png">'
                assert first in block, (page.name, name)
                rest = re.findall(r'<a class="figure-panel" href="visualizations/slides/([\w]+)\.png"', block)
                assert rest[:len(slides) - 1] == list(slides[1:]), (page.name, name, rest)
            assert not re.search(rf'<p><a href="visualizations/{name}"><img', text), (page.name, name)
    assert shown >= 8, shown
