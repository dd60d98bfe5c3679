// Open a report in headless Chromium (Debian's, through playwright-core), screenshot it, and
// report console messages, page errors, network requests and the charts' SVG elements; then
// print it to an A4 PDF, after checking under print media, at the A4 page's width, that every
// chart keeps whole (break-inside: avoid, and no taller than a page) and that the headline
// comes before the first page break.
// Exit 1 on any error, any request beyond the file itself, a missing chart, or a chart that
// printing would split.
const { chromium } = require("playwright-core");

(async () => {
  const [page_path, png, pdf] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems = [];
  const messages = [];
  page.on("console", (m) => {
    messages.push(`${m.type()}: ${m.text()}`);
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (r.url() !== `file://${page_path}`) problems.push(`request: ${r.url()}`);
  });
  await page.goto(`file://${page_path}`, { waitUntil: "load" });
  const counts = await page.evaluate(() => ({
    svg: document.querySelectorAll("svg.chart").length,
    bars: document.querySelectorAll("svg.chart rect.bar").length,
    tiles: document.querySelectorAll("svg.chart g.tile").length,
    maps: [...document.querySelectorAll("svg.chart")].filter((s) => s.querySelector("g.tile")).length,
    lines: document.querySelectorAll("svg.chart polyline.line").length,
    tables: document.querySelectorAll("details.table table").length,
    title: document.title,
    lang: document.documentElement.lang,
    // Charts that overflow their box would be cut off for the reader.
    clipped: [...document.querySelectorAll("svg.chart")].filter((s) => {
      const b = s.getBBox();
      const v = s.viewBox.baseVal;
      return b.x < v.x - 1 || b.y < v.y - 1 || b.x + b.width > v.x + v.width + 1 || b.y + b.height > v.y + v.height + 1;
    }).map((s) => s.querySelector("title").textContent),
  }));
  await page.screenshot({ path: png, fullPage: true });
  // A4 less the @page margins (12 mm each side, 14 mm top and bottom) in CSS pixels.
  const mm = 96 / 25.4;
  await page.setViewportSize({ width: Math.floor(186 * mm), height: Math.floor(269 * mm) });
  await page.emulateMedia({ media: "print" });
  const print = await page.evaluate((pageHeight) => {
    const figures = [...document.querySelectorAll("figure")];
    const sections = [...document.querySelectorAll("main > section")];
    return {
      figures: figures.length,
      split: figures.filter((f) => getComputedStyle(f).breakInside !== "avoid"
        || f.getBoundingClientRect().height > pageHeight)
        .map((f) => f.querySelector("figcaption").textContent),
      first: sections[0] && sections[0].id,
      breaks: sections.slice(1).filter((s) => getComputedStyle(s).breakBefore === "page").length,
      sections: sections.length,
    };
  }, Math.floor(269 * mm));
  await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
  await browser.close();
  console.log(`report-check: printed: ${print.figures} charts, each whole on its page; ${print.sections} sections, ${print.breaks} starting a page; "${print.first}" first`);
  for (const c of print.split) problems.push(`printing would split the chart: ${c}`);
  if (print.first !== "headline") problems.push(`the first section is ${print.first}, not the headline`);
  if (print.breaks !== print.sections - 1) problems.push("a section does not start its page");
  console.log(`report-check: "${counts.title}" (lang ${counts.lang})`);
  console.log(`report-check: ${counts.svg} charts, ${counts.bars} bars, ${counts.tiles} prefecture tiles, ${counts.lines} trend lines, ${counts.tables} tables`);
  console.log(`report-check: ${messages.length} console messages, ${problems.length} problems; screenshot ${png}`);
  for (const m of messages) console.log(`  console ${m}`);
  if (counts.svg < 7) problems.push(`only ${counts.svg} charts`);
  // Every tile map (SPF and DMARC of the local governments, the guideline's) has the 47.
  if (counts.maps < 2 || counts.tiles !== 47 * counts.maps) {
    problems.push(`${counts.tiles} prefecture tiles in ${counts.maps} maps, want 47 a map`);
  }
  if (counts.lines === 0) problems.push("no trend lines");
  for (const c of counts.clipped) problems.push(`chart drawn outside its box: ${c}`);
  for (const p of problems) console.log(`  PROBLEM ${p}`);
  process.exit(problems.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
