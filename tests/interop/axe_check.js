// Checks an HTML page with axe-core (Deque's accessibility engine) in jsdom, for
// WCAG 2.0/2.1 A and AA. Prints {"violations": [...], "incomplete": [...]} as JSON.
// node axe_check.js PAGE.html   (axe-core and jsdom from tests/interop/node_modules)
"use strict";
const fs = require("fs");
const { JSDOM, VirtualConsole } = require("jsdom");

const page = fs.readFileSync(process.argv[2], "utf8");
// jsdom has no canvas: axe's contrast rule asks for one and reports "incomplete";
// the "not implemented" noise that jsdom logs for it is dropped.
const quiet = new VirtualConsole();
const dom = new JSDOM(page, { runScripts: "outside-only", pretendToBeVisual: true,
                               virtualConsole: quiet });
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
dom.window.eval(axeSource);
dom.window.axe
  .run(dom.window.document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  })
  .then((results) => {
    const brief = (list) => list.map((r) => ({ id: r.id, impact: r.impact, nodes: r.nodes.length,
                                             help: r.help }));
    process.stdout.write(JSON.stringify({ violations: brief(results.violations),
                                          incomplete: brief(results.incomplete),
                                          passes: results.passes.length }));
  })
  .catch((error) => { console.error(String(error)); process.exit(2); });
