// What the DOM must not hold after hostile input, walked in the page itself (shadow roots
// and templates included); evaluated by tests/e2e/test_hostile_input.py.
() => {
  const bad = [];
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "poster",
                    "background", "codebase", "cite", "srcdoc", "to", "from", "values"];
  const scheme = /^(javascript|vbscript|data):/i;
  // The browser's own URL parser says which scheme a value has (tabs, entities, case...).
  const protocol = (v) => { try { return new URL(v, document.baseURI).protocol; } catch (e) { return ""; } };
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        if (name.startsWith("on")) bad.push(`${el.tagName} ${name}=${attr.value.slice(0, 60)}`);
        if (urlAttrs.includes(name) && scheme.test(protocol(attr.value))) {
          // The site's own inline images (avatars) are the one data: URL it may carry.
          if (!(name === "src" && el.tagName === "IMG" && /^data:image\/(png|gif|jpeg|webp);/i.test(attr.value.trim())))
            bad.push(`${el.tagName} ${name}=${attr.value.slice(0, 60)}`);
        }
      }
      if (["IFRAME", "OBJECT", "EMBED", "BASE", "FRAME", "APPLET"].includes(el.tagName))
        bad.push(`element ${el.tagName}`);
      if (el.tagName === "META" && (el.getAttribute("http-equiv") || "").toLowerCase() === "refresh")
        bad.push("meta refresh");
      if (el.tagName === "SCRIPT" && !el.nonce) {
        const src = el.getAttribute("src") || "";
        if (!src.startsWith("/static/")) bad.push(`script without nonce: ${src || el.textContent.slice(0, 60)}`);
      }
      if (el.shadowRoot) walk(el.shadowRoot);
      if (el.tagName === "TEMPLATE") walk(el.content);
    }
  };
  walk(document);
  // Every payload names __xss, alert or msgbox: a page showing none of them tested nothing.
  const shown = /__xss|alert\(|msgbox/.test(document.documentElement.innerHTML);
  return {bad, runs: window.__xssRuns, shown};
}
