/**
 * HTML → PDF through Chromium's print (playwright-core driving Debian's /usr/bin/chromium; never a
 * downloaded browser). The page is loaded from the HTML text with the network cut off, so the PDF
 * shows exactly what the self-contained HTML holds. A4, the report's own print CSS, a footer with
 * the page number on every page.
 */
import { existsSync } from 'node:fs';
import { InputError } from '../util/errors.js';

/** Debian's Chromium (the `chromium` package); CAMPRINT_CHROMIUM overrides. */
export function chromiumPath(): string {
  return process.env.CAMPRINT_CHROMIUM ?? '/usr/bin/chromium';
}

/** Why no PDF can be made here, or null when Chromium is installed. */
export function pdfUnavailable(): string | null {
  const path = chromiumPath();
  return existsSync(path) ? null : `${path} is not installed (Debian: apt install chromium)`;
}

function footer(text: string): string {
  const safe = text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<div style="font: 7pt 'DejaVu Sans', sans-serif; color: #555; width: 100%; padding: 0 15mm; display: flex; justify-content: space-between;">
    <span>${safe}</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`;
}

/** Prints the HTML to a PDF (bytes). `label` goes in every page's footer. InputError when Chromium is absent. */
export async function htmlToPdf(html: string, label: string): Promise<Buffer> {
  const why = pdfUnavailable();
  if (why !== null) throw new InputError(`cannot make a PDF: ${why}`);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const context = await browser.newContext({ offline: true, javaScriptEnabled: false });
    const page = await context.newPage();
    // Nothing may be fetched: the report is self-contained, and a request would mean it is not.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    return await page.pdf({
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
      headerTemplate: '<div></div>',
      footerTemplate: footer(label),
    });
  } finally {
    await browser.close();
  }
}
