/** What export_dataset is asked for and what it answers. */
import type { DatasetInfoEntry } from './dataset-info.js';
import type { ExportFormat, LlamaFactoryStyle } from './formats.js';
import type { ExportManifest } from './registry.js';
import type { SourceCounts } from './sources.js';
import type { RowCheck } from './validators.js';
import type { ExportFileWriter } from './writer.js';

export interface ExportRequest {
  run_ids?: string[];
  format: ExportFormat;
  split: 'train' | 'golden' | 'all';
  min_score?: number;
  reasoning?: 'think' | 'omit';
  system_prompt?: string;
  path?: string;
  name?: string;
  llama_factory_style?: LlamaFactoryStyle;
  /** The model the training configs fine-tune (llama-factory, axolotl). */
  base_model?: string;
  /** The data's language for the dataset card (ISO 639-1). */
  language?: string;
}

export interface ExportCounts extends SourceCounts {
  train: number;
  golden: number;
  preference: number;
  cross_run_duplicates: number;
  golden_overlap_dropped: number;
  skipped_empty: number;
  by_run: { run_id: string; train: number; golden: number; preference: number }[];
}

export interface ExportResult extends ExportManifest {
  counts: ExportCounts;
  usage: string[];
}

export type Role = 'train' | 'golden' | 'preference';

/** A data file being written: its temporary writer, the rules it is checked against, its dataset_info entry. */
export interface Planned {
  role: Role;
  writer: ExportFileWriter;
  check: RowCheck;
  rules: string;
  entry?: DatasetInfoEntry;
}
