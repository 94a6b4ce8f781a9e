import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import type { FigureSpan, ThemeName } from './types.js';

/**
 * Sizes, fonts and colours of the figures.
 *
 * The paper theme works in points: one SVG unit = 1/72 in, so a figure placed at its natural size
 * in LaTeX keeps 8 pt labels. A single-column figure is 240 units wide (3.33 in, the column of
 * CVPR/NeurIPS-style two-column papers), a double-column figure 504 units (7 in). PNGs are
 * rasterised at 300 dpi (scale 300/72). Legends go below the plot and figures carry no title (the
 * paper's caption names them). Vega-Lite sizes plot areas, so panel widths start from an estimate
 * here and renderReport fits each paper figure to its exact width (render-svg.ts fitToWidth).
 *
 * Colours: Okabe-Ito (safe for the common colour-vision deficiencies), in an order that puts the
 * hard-to-see yellow last. A run's colour comes from its position in the report's fixed run
 * domain, so it is the same in every figure.
 */
export interface Theme {
  name: ThemeName;
  widths: Record<FigureSpan, number>;
  panelHeight: number;
  /** Units per panel taken by the y axis, its title and padding. */
  panelOverhead: number;
  /** Units a legend on the right takes (0 when legends sit below the plot). */
  legendWidth: number;
  legendOrient: 'right' | 'bottom';
  font: string;
  fontSize: number;
  titleFontSize: number;
  strokeWidth: number;
  pngScale: number;
  palette: string[];
}

export const OKABE_ITO = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

const FONT = 'Helvetica, Arial, "DejaVu Sans", sans-serif';

const THEMES: Record<ThemeName, Theme> = {
  default: {
    name: 'default',
    widths: { single: 460, double: 940 },
    panelHeight: 220,
    panelOverhead: 70,
    legendWidth: 110,
    legendOrient: 'right',
    font: FONT,
    fontSize: 11,
    titleFontSize: 13,
    strokeWidth: 1.75,
    pngScale: 2,
    palette: OKABE_ITO,
  },
  paper: {
    name: 'paper',
    widths: { single: 240, double: 504 },
    panelHeight: 130,
    panelOverhead: 60,
    legendWidth: 0,
    legendOrient: 'bottom',
    font: FONT,
    fontSize: 8,
    titleFontSize: 9,
    strokeWidth: 1.25,
    pngScale: 300 / 72,
    palette: OKABE_ITO,
  },
};

export const THEME_NAMES = Object.keys(THEMES) as ThemeName[];

export function getTheme(name: string): Theme {
  if (!(name in THEMES)) throw new UserError(reportMessages.badTheme(name));
  return THEMES[name as ThemeName];
}

/** Plot-area size of one panel when `across` panels share a row of a figure of this span. */
export function panelSize(theme: Theme, span: FigureSpan, across = 1, legend = true): { width: number; height: number } {
  const room = theme.widths[span] - (legend ? theme.legendWidth : 0) - theme.panelOverhead * across;
  return { width: Math.max(60, Math.floor(room / across)), height: theme.panelHeight };
}

/** Vega-Lite config of a theme: fonts, sizes and the categorical palette. */
export function themeConfig(theme: Theme): Record<string, unknown> {
  const f = theme.fontSize;
  return {
    font: theme.font,
    background: 'white',
    padding: Math.round(f * 0.6),
    view: { stroke: '#bbbbbb' },
    range: { category: theme.palette },
    axis: { labelFontSize: f, titleFontSize: f, titleFontWeight: 'normal', labelFont: theme.font, titleFont: theme.font, gridColor: '#e6e6e6' },
    legend: {
      labelFontSize: f,
      titleFontSize: f,
      titleFontWeight: 'normal',
      orient: theme.legendOrient,
      symbolSize: theme.name === 'paper' ? 40 : 80,
      // Area bands are faint; their legend symbols should not be.
      symbolOpacity: 1,
      // Below the plot, legends sit side by side; each one vertical keeps the figure in its column.
      ...(theme.legendOrient === 'bottom' ? { direction: 'vertical' } : {}),
    },
    header: { labelFontSize: f, titleFontSize: f },
    title: { fontSize: theme.titleFontSize, fontWeight: 'normal', anchor: 'start', font: theme.font },
    line: { strokeWidth: theme.strokeWidth },
    rule: { strokeWidth: 1 },
    text: { fontSize: f, font: theme.font },
    point: { size: theme.name === 'paper' ? 14 : 30 },
    concat: { spacing: Math.round(f * 1.5) },
    facet: { spacing: Math.round(f * 1.2) },
  };
}
