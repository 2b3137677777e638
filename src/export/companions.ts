/**
 * The text files written beside an export's data: dataset_info.json, the training configs and the
 * dataset card. Each goes to a temporary file, is read back and checked (parsed again, compared
 * with what was meant), and is renamed into place with the data files, or not at all.
 */
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type { App } from '../app.js';
import type { RunRecord } from '../store/catalog.js';
import { runFacts } from './card-facts.js';
import { checkDatasetInfo, type DatasetInfo } from './dataset-info.js';
import { datasetCard } from './dataset-card.js';
import type { ExportManifest, ExportedFile } from './registry.js';
import { axolotlConfig, llamaFactoryConfigs, type TrainingConfig } from './training-configs.js';
import type { ExportCounts, ExportRequest, Planned } from './types.js';
import { ExportCheckError } from './validators.js';
import { ExportFileWriter } from './writer.js';

export interface Companion {
  writer: ExportFileWriter;
  file: ExportedFile;
}

/** Writes a text file to its temporary name and checks it read back: `check` lists what is wrong with the text. */
export async function writeTextFile(dir: string, name: string, role: string, text: string, rows: number, check: (text: string) => string[]): Promise<Companion> {
  const problems = check(text);
  if (problems.length > 0) throw new ExportCheckError(`${name} is not right: ${problems.join('; ')}. Nothing was exported; this is a bug in Distillery's writer: please report it.`);
  const writer = await ExportFileWriter.create(path.join(dir, name));
  await writer.writeText(text);
  await writer.close();
  const readBack = await readFile(writer.temp, 'utf8');
  const again = readBack === text ? check(readBack) : ['the text on disk differs from what was written'];
  if (again.length > 0) {
    await writer.discard();
    throw new ExportCheckError(`${name} did not read back as written (${again.join('; ')}). Nothing was exported; check the disk, then export again.`);
  }
  const file = { name, path: writer.target, role, rows, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
  return { writer, file };
}

export async function writeDatasetInfo(dir: string, name: string, kept: Planned[]): Promise<Companion> {
  const info: DatasetInfo = Object.fromEntries(kept.map((file) => [`${name}_${file.role}`, file.entry!]));
  const dataFiles = kept.map((file) => file.writer.name);
  const check = (text: string) => checkDatasetInfo(JSON.parse(text) as DatasetInfo, dataFiles);
  return writeTextFile(dir, 'dataset_info.json', 'dataset_info', JSON.stringify(info, null, 2) + '\n', Object.keys(info).length, check);
}

/** sft.yaml and dpo.yaml for llama-factory, axolotl.yaml for axolotl; none for other formats. */
export async function writeTrainingConfigs(dir: string, name: string, request: ExportRequest, kept: Planned[], counts: ExportCounts): Promise<Companion[]> {
  const fileOf = (role: string) => kept.find((file) => file.role === role)?.writer.name;
  const input = { dir, name, thinking: request.reasoning === 'think', trainRows: counts.train, trainFile: fileOf('train'), preferenceFile: fileOf('preference'), ...(request.base_model ? { baseModel: request.base_model } : {}) };
  const configs: TrainingConfig[] = request.format === 'llama-factory' ? llamaFactoryConfigs(input) : request.format === 'axolotl' ? [axolotlConfig(input)].filter((config) => config !== undefined) : [];
  const companions: Companion[] = [];
  for (const config of configs) {
    const check = (text: string) => {
      const parsed = parse(text) as Record<string, unknown> | null;
      return parsed && typeof parsed === 'object' && Object.keys(parsed).length > 0 ? [] : ['it does not parse as a YAML mapping'];
    };
    companions.push(await writeTextFile(dir, config.name, 'training_config', config.text, 0, check));
  }
  return companions;
}

/**
 * README.md, unless the folder holds a README.md an earlier export did not write (a user's own):
 * then the card goes to DATASET_CARD.md and a note says so.
 */
export async function writeDatasetCard(app: App, card: { dir: string; name: string; request: ExportRequest; runs: RunRecord[]; files: ExportedFile[]; counts: ExportCounts; notes: string[]; previous?: ExportManifest; createdAt: string }): Promise<Companion> {
  const foreign = !card.previous?.files.some((file) => file.name === 'README.md') && (await access(path.join(card.dir, 'README.md')).then(() => true, () => false));
  const fileName = foreign ? 'DATASET_CARD.md' : 'README.md';
  if (foreign) card.notes.push(`${card.dir} already holds a README.md that Distillery did not write: the dataset card went to DATASET_CARD.md (rename it README.md before pushing to a hub).`);
  const runs = await Promise.all(card.runs.map((run) => runFacts(app, run)));
  const text = datasetCard({ name: card.name, format: card.request.format, split: card.request.split, language: card.request.language ?? 'en', files: card.files, counts: card.counts, runs, createdAt: card.createdAt });
  const check = (written: string) => {
    const match = /^---\n([\s\S]*?)\n---\n/.exec(written);
    const front = match ? (parse(match[1]!) as Record<string, unknown> | null) : null;
    return front && front.license && front.configs ? [] : ['its YAML front matter does not parse or lacks license and configs'];
  };
  return writeTextFile(card.dir, fileName, 'dataset_card', text, 0, check);
}
