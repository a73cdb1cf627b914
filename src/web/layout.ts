// The document around every page: stylesheet and script served by vigil itself (no inline script or style, no
// third-party origin), a skip link, and the region the live script refreshes.
import { VERSION } from '../version.js';
import { html, type Html } from './html.js';

/** In the asset URLs, so a new release is never served last release's cached script. */
export const ASSET_VERSION = encodeURIComponent(VERSION);

/** `notice`: a line shown on every page under the header (the demo says its fleet is simulated). */
export function page(title: string, body: Html, options: { live?: boolean; notice?: string } = {}): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · vigil</title>
<link rel="stylesheet" href="/static/vigil.css?${ASSET_VERSION}">
<link rel="icon" href="/static/favicon.svg?${ASSET_VERSION}" type="image/svg+xml">
${options.live === false ? '' : html`<script src="/static/live.js?${ASSET_VERSION}" defer></script>`}
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="top"><a class="brand" href="/">vigil</a><span id="live-status" class="live" role="status" aria-live="polite">static</span></header>
${options.notice === undefined ? '' : html`<p class="notice" role="note">${options.notice}</p>`}
<main id="content">
${body}
</main>
<footer class="foot"><a href="/metrics">metrics</a> · <a href="/api/v1/health">health API</a> · \
<a href="/api/v1/maintenance">maintenance API</a></footer>
</body>
</html>
`.value;
}
