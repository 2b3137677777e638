/** A tiny element builder and the number formats the page shows. */
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value as EventListener);
    else if (key === 'class') element.className = String(value);
    else if (key === 'value' && 'value' in element) (element as HTMLInputElement).value = String(value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
  return element;
}

export const usd = (value: number | null | undefined): string => {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value !== 0 && Math.abs(value) < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
};

export const percent = (fraction: number | null | undefined): string => (fraction === null || fraction === undefined ? '–' : `${Math.round(fraction * 1000) / 10}%`);

export const count = (value: number): string => value.toLocaleString('en-US');

export function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Horizontal bars for a few named values, with the figure written beside each; `scale` is a full bar (default the largest). */
export function barList(name: string, entries: [string, number][], format: (value: number) => string, extra?: (label: string) => string, scale?: number): HTMLElement {
  const max = scale ?? Math.max(0, ...entries.map(([, value]) => value));
  const rows = entries.map(([label, value]) =>
    h(
      'div',
      { class: 'bar-row', 'data-label': label, 'data-value': value },
      h('span', { class: 'bar-label', title: label }, label),
      h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: `width:${max > 0 ? (value / max) * 100 : 0}%` })),
      h('span', { class: 'bar-value' }, format(value), extra ? ` ${extra(label)}` : ''),
    ),
  );
  return h('div', { class: 'bar-list', 'data-bars': name }, ...(rows.length ? rows : [h('p', { class: 'muted' }, 'None yet.')]));
}

export function card(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

export function kpi(label: string, value: string, name: string): HTMLElement {
  return h('div', { class: 'kpi', 'data-kpi': name }, h('span', { class: 'kpi-value' }, value), h('span', { class: 'kpi-label' }, label));
}
