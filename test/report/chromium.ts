/**
 * Drive headless Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
 * messages separated by NUL on file descriptors 3 and 4), so the tests need no WebSocket client
 * and no npm package. Collects console errors and exceptions, waits for the page to say it has
 * rendered, and takes a full-page screenshot.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = () => existsSync(CHROMIUM);

export interface PageCheck {
  /** body[data-rendered], or null when the page never finished */
  rendered: string | null;
  renderError: string | null;
  /** figures drawn: <svg> elements inside .vis containers */
  svgCount: number;
  figureCount: number;
  consoleErrors: string[];
  screenshot: Buffer;
  /** With `tileHeight`: the page cut into screenshots of that height, top to bottom. */
  tiles: Buffer[];
  /** Page size in CSS pixels. */
  width: number;
  height: number;
  /** document.documentElement.scrollWidth and window.innerWidth: wider content scrolls sideways. */
  scrollWidth: number;
  innerWidth: number;
  /** Visible elements (not inside a closed <details>) that scroll sideways, as tag.class. */
  sidewaysScrollers: string[];
  /** Each figure's drawn width in CSS pixels and its cell's width, by figure id. */
  figureWidths: { id: string; svg: number; cell: number }[];
}

type Message = { id?: number; method?: string; params?: any; result?: any; error?: { message: string }; sessionId?: string };

class Cdp {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private buffer = '';
  readonly events: Message[] = [];

  constructor(private readonly input: Writable, output: Readable) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        if (msg.id !== undefined && this.pending.has(msg.id)) {
          const p = this.pending.get(msg.id)!;
          this.pending.delete(msg.id);
          if (msg.error) p.reject(new Error(msg.error.message));
          else p.resolve(msg.result);
        } else this.events.push(msg);
      }
    });
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = this.nextId++;
    this.input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Open an HTML file in headless Chromium and report what happened. */
export async function checkPage(htmlPath: string, o: { width?: number; timeoutMs?: number; tileHeight?: number } = {}): Promise<PageCheck> {
  const profile = mkdtempSync(join(tmpdir(), 'xbm-chromium-'));
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const cdp = new Cdp(child.stdio[3] as Writable, child.stdio[4] as Readable);
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    let page = targetInfos.find((t: { type: string }) => t.type === 'page');
    if (!page) page = { targetId: (await cdp.send('Target.createTarget', { url: 'about:blank' })).targetId };
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: page.targetId, flatten: true });
    for (const domain of ['Runtime', 'Log', 'Page']) await cdp.send(`${domain}.enable`, {}, sessionId);
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: o.width ?? 1200, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
    await cdp.send('Page.navigate', { url: pathToFileURL(htmlPath).href }, sessionId);

    const evaluate = async (expression: string) => (await cdp.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)).result.value;
    const deadline = Date.now() + (o.timeoutMs ?? 60_000);
    let state: { rendered: string | null; renderError: string | null } = { rendered: null, renderError: null };
    while (Date.now() < deadline) {
      state = await evaluate(
        `document.body ? { rendered: document.body.getAttribute('data-rendered'), renderError: document.body.getAttribute('data-render-error') } : { rendered: null, renderError: null }`,
      );
      if (state.rendered !== null || state.renderError !== null) break;
      await sleep(200);
    }
    await sleep(300); // let late console messages arrive
    const svgCount: number = await evaluate(`document.querySelectorAll('.vis svg.marks').length`);
    const figureCount: number = await evaluate(`document.querySelectorAll('figure.figure').length`);
    const scrollWidth: number = await evaluate(`document.documentElement.scrollWidth`);
    const innerWidth: number = await evaluate(`window.innerWidth`);
    const sidewaysScrollers: string[] = await evaluate(
      `[...document.querySelectorAll('body *')].filter((e) => e.offsetParent !== null && !e.closest('details:not([open])') && e.scrollWidth > e.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)).map((e) => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''))`,
    );
    const figureWidths: PageCheck['figureWidths'] = await evaluate(
      `[...document.querySelectorAll('figure.figure')].map((f) => ({ id: f.id, svg: f.querySelector('.vis svg.marks')?.getBoundingClientRect().width ?? 0, cell: f.getBoundingClientRect().width }))`,
    );
    const { contentSize } = await cdp.send('Page.getLayoutMetrics', {}, sessionId);
    const shot = await cdp.send(
      'Page.captureScreenshot',
      { format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width: Math.ceil(contentSize.width), height: Math.ceil(contentSize.height), scale: 1 } },
      sessionId,
    );
    const tiles: Buffer[] = [];
    if (o.tileHeight)
      for (let y = 0; y < contentSize.height; y += o.tileHeight) {
        const clip = { x: 0, y, width: Math.ceil(contentSize.width), height: Math.min(o.tileHeight, Math.ceil(contentSize.height - y)), scale: 1 };
        tiles.push(Buffer.from((await cdp.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip }, sessionId)).data, 'base64'));
      }
    const consoleErrors = cdp.events.flatMap((e) => {
      if (e.method === 'Runtime.consoleAPICalled' && (e.params.type === 'error' || e.params.type === 'assert'))
        return [e.params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' ')];
      if (e.method === 'Runtime.exceptionThrown') return [e.params.exceptionDetails.exception?.description ?? e.params.exceptionDetails.text];
      if (e.method === 'Log.entryAdded' && e.params.entry.level === 'error') return [`${e.params.entry.source}: ${e.params.entry.text}`];
      return [];
    });
    await cdp.send('Browser.close').catch(() => {});
    return {
      ...state,
      svgCount,
      figureCount,
      consoleErrors,
      screenshot: Buffer.from(shot.data, 'base64'),
      tiles,
      width: Math.ceil(contentSize.width),
      height: Math.ceil(contentSize.height),
      scrollWidth,
      innerWidth,
      sidewaysScrollers,
      figureWidths,
    };
  } catch (e) {
    throw new Error(`${(e as Error).message}\nchromium stderr:\n${stderr.slice(-2000)}`);
  } finally {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(profile, { recursive: true, force: true });
  }
}
