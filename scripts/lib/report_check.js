// Open a report in headless Chromium (Debian's, through playwright-core), screenshot it, and
// report console messages, page errors, network requests and the charts' SVG elements.
// Exit 1 on any error, any request beyond the file itself, or a missing chart.
const { chromium } = require("playwright-core");

(async () => {
  const [page_path, png] = process.argv.slice(2);
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
  await browser.close();
  console.log(`report-check: "${counts.title}" (lang ${counts.lang})`);
  console.log(`report-check: ${counts.svg} charts, ${counts.bars} bars, ${counts.tiles} prefecture tiles, ${counts.lines} trend lines, ${counts.tables} tables`);
  console.log(`report-check: ${messages.length} console messages, ${problems.length} problems; screenshot ${png}`);
  for (const m of messages) console.log(`  console ${m}`);
  if (counts.svg < 7) problems.push(`only ${counts.svg} charts`);
  if (counts.tiles !== 94) problems.push(`${counts.tiles} prefecture tiles, want 94`);
  if (counts.lines === 0) problems.push("no trend lines");
  for (const c of counts.clipped) problems.push(`chart drawn outside its box: ${c}`);
  for (const p of problems) console.log(`  PROBLEM ${p}`);
  process.exit(problems.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
