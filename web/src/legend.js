// The layer switcher with its legend (the side panel's layers tab): a checkbox with its symbol for
// each layer the user may see (the county's own layers by theme), and the map's layers shown or
// hidden as they say.
import { app } from './app.js';
import { countyToggles } from './catalogue.js';
import { $, el } from './dom.js';
import { t } from './i18n.js';
import { COLOURS, RISKS, TOGGLES } from './layers.js';

function swatch(kind, colour) {
  return el('span', { class: `swatch ${kind}`, style: `--c: ${colour}` });
}

export function buildLayerPanel() {
  const box = $('tab-layers');
  box.replaceChildren();
  const vis = app.visibility;
  const toggle = (key, label, legend) =>
    el(
      'label',
      { class: 'toggle' },
      el('input', {
        type: 'checkbox',
        checked: vis[key] !== false,
        dataset: { layer: key },
        onchange: (e) => {
          vis[key] = e.target.checked;
          applyVisibility();
        },
      }),
      legend,
      el('span', { text: label }),
    );
  box.append(
    el('h3', { text: t('layers.grids') }),
    toggle('county', t('layers.county'), swatch('line', COLOURS.county)),
    toggle('town', t('layers.town'), swatch('line dashed', COLOURS.town)),
    toggle('village', t('layers.village'), swatch('line', COLOURS.village)),
    toggle('grid', t('layers.grid'), swatch('line thin', COLOURS.grid)),
    toggle('labels', t('layers.labels'), swatch('text', '#333')),
    el('h3', { text: t('layers.households') }),
    toggle('households', t('layers.households'), swatch('dot', COLOURS.households)),
    el('p', { class: 'legend-note' }, swatch('dot big faded', COLOURS.householdCells), t('layers.households.note')),
    el('h3', { text: t('layers.enterprises') }),
    toggle('enterprises', t('layers.enterprises'), swatch('dot', COLOURS.enterpriseCells)),
    el('ul', { class: 'legend' }, RISKS.map((r) => el('li', {}, swatch('square', COLOURS.risk[r]), t(`risk.${r}`)))),
    el('h3', { text: t('layers.incidents') }),
    toggle('open', t('state.open'), swatch('dot', COLOURS.open)),
    toggle('overdue', t('state.overdue'), swatch('dot ring', COLOURS.overdue)),
    toggle('closed', t('state.closed'), swatch('dot', COLOURS.closed)),
    el('p', { class: 'legend-note' }, swatch('dot big', '#888'), t('legend.cluster')),
  );
  // The county's own layers, by theme.
  for (const theme of app.countyLayers?.catalogue ?? []) {
    box.append(el('h3', { text: theme.theme }));
    for (const entry of theme.layers) {
      const legend =
        entry.geometry === 'line' ? swatch('line', entry.color) : entry.geometry === 'polygon' ? swatch('square', entry.fill || entry.color) : swatch('dot', entry.color);
      box.append(toggle(`layer:${entry.name}`, entry.title, legend));
    }
  }
  if (app.workerTiles) box.append(el('h3', { text: t('layers.workers') }), toggle('workers', t('layers.workers'), swatch('dot', COLOURS.workers)));
  if (app.config.basemaps.length) {
    box.append(el('h3', { text: t('layers.basemap') }), toggle('basemap', t('layers.basemap'), swatch('square', '#ccc')));
  } else {
    box.append(el('p', { class: 'hint', text: t('layers.noBasemap') }));
  }
}

export function applyVisibility() {
  const m = app.map;
  const vis = app.visibility;
  const set = (id, on) => m.getLayer(id) && m.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  for (const [key, ids] of Object.entries({ ...TOGGLES, ...countyToggles() }))
    for (const id of ids) set(id, vis[key] !== false && (!id.endsWith('-label') || vis.labels !== false));
  app.config.basemaps.forEach((_, i) => set(`basemap-${i}`, vis.basemap !== false));
}
