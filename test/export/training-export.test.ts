import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { textOf } from '../helpers.js';
import { expectOpenAi, expectOpenAiDpo, readJsonlStrictly } from './consumer-rules.js';
import { distilledWorld, makeSample, writeCascadeRun, writeRun, type DistilledWorld, callExport, type Exported } from './fixtures.js';

/** Every key LLaMA-Factory's own examples use (examples/train_lora/qwen3_lora_{sft,dpo}.yaml, with their eval block) plus dataset_dir (hparams/data_args.py). */
const llamaFactoryKeys = new Set([
  'model_name_or_path', 'trust_remote_code', 'stage', 'do_train', 'finetuning_type', 'lora_rank', 'lora_target', 'pref_beta', 'pref_loss',
  'dataset', 'dataset_dir', 'template', 'cutoff_len', 'max_samples', 'preprocessing_num_workers', 'dataloader_num_workers',
  'output_dir', 'logging_steps', 'save_steps', 'plot_loss', 'overwrite_output_dir', 'save_only_model', 'report_to',
  'per_device_train_batch_size', 'gradient_accumulation_steps', 'learning_rate', 'num_train_epochs', 'lr_scheduler_type', 'warmup_ratio',
  'bf16', 'ddp_timeout', 'resume_from_checkpoint', 'eval_dataset', 'val_size', 'per_device_eval_batch_size', 'eval_strategy', 'eval_steps',
]);

/** Keys of axolotl's examples (examples/qwen3/32b-qlora.yaml and its dataset block), plus lora_dropout and lora_target_linear from its LoRA examples. */
const axolotlKeys = new Set([
  'base_model', 'chat_template', 'datasets', 'val_set_size', 'output_dir', 'dataset_prepared_path', 'sequence_len', 'sample_packing',
  'adapter', 'lora_r', 'lora_alpha', 'lora_dropout', 'lora_target_linear', 'lora_target_modules', 'gradient_accumulation_steps', 'micro_batch_size',
  'num_epochs', 'optimizer', 'lr_scheduler', 'learning_rate', 'bf16', 'tf32', 'gradient_checkpointing', 'logging_steps', 'warmup_ratio',
  'evals_per_epoch', 'saves_per_epoch', 'weight_decay',
]);
const axolotlDatasetKeys = new Set(['path', 'ds_type', 'type', 'split', 'field_messages', 'message_property_mappings']);


let fixture: DistilledWorld;
let app: App;
let client: Client;

const exportDataset = (args: Record<string, unknown>) => callExport(client, args);

const readYaml = async (file: string) => parse(await readFile(file, 'utf8')) as Record<string, unknown>;

async function cascadeAndEnsemble() {
  const cascade = await writeCascadeRun(app, 60);
  const pairs = Array.from({ length: 6 }, (_, index) => ({ id: `pair-${index}`, instruction: `Which treatment suits patient group ${index} with renal impairment?`, chosen: `Adjust the dose for group ${index}.`, rejected: `Use the standard dose for group ${index}.` }));
  const ensemble = await writeRun(app, 'ensemble', { 'consensus.jsonl': Array.from({ length: 5 }, (_, index) => makeSample('ens', 200 + index, { status: 'approved' })), 'preference_pairs.jsonl': pairs });
  return { cascade, ensemble };
}

beforeAll(async () => {
  fixture = await distilledWorld();
  ({ app, client } = fixture);
});
afterAll(() => fixture.close());

describe('training-ready export', () => {
  it('llama-factory writes sft.yaml and dpo.yaml with known keys, naming only dataset_info entries, never the golden split', async () => {
    const { cascade, ensemble } = await cascadeAndEnsemble();
    const result = await exportDataset({ run_ids: [cascade.run.id, ensemble.id], format: 'llama-factory', split: 'all', name: 'lf-train' });
    const info = JSON.parse(await readFile(path.join(result.dir, 'dataset_info.json'), 'utf8')) as Record<string, unknown>;
    const sft = await readYaml(path.join(result.dir, 'sft.yaml'));
    const dpo = await readYaml(path.join(result.dir, 'dpo.yaml'));
    for (const [config, stage] of [[sft, 'sft'], [dpo, 'dpo']] as const) {
      expect(Object.keys(config).filter((key) => !llamaFactoryKeys.has(key))).toEqual([]);
      expect(config).toMatchObject({ stage, do_train: true, finetuning_type: 'lora', dataset_dir: result.dir, model_name_or_path: 'Qwen/Qwen3-1.7B', template: 'qwen3_nothink' });
      const named = [config.dataset, config.eval_dataset].filter((value) => value !== undefined).flatMap((value) => String(value).split(','));
      expect(named.length).toBeGreaterThan(0);
      for (const dataset of named) expect(Object.keys(info)).toContain(dataset);
      expect(named).not.toContain('lf-train_golden');
      expect(config.num_train_epochs).toBeGreaterThanOrEqual(1);
      expect(config.num_train_epochs).toBeLessThanOrEqual(2);
    }
    expect(sft.dataset).toBe('lf-train_train');
    expect(sft.val_size).toBeGreaterThan(0);
    expect(sft.val_size).toBeLessThan(1);
    expect(dpo.dataset).toBe('lf-train_preference');
    expect(result.files.filter((file) => file.role === 'training_config').map((file) => file.name)).toEqual(['sft.yaml', 'dpo.yaml']);
    expect(result.usage[0]).toBe(`llamafactory-cli train ${path.join(result.dir, 'sft.yaml')}`);
  });

  it('llama-factory takes base_model, picks its template, and writes no dpo.yaml without preference pairs', async () => {
    const { run } = await writeCascadeRun(app, 30);
    const result = await exportDataset({ run_ids: [run.id], format: 'llama-factory', name: 'lf-llama', base_model: 'meta-llama/Llama-3.2-1B-Instruct', reasoning: 'think' });
    const sft = await readYaml(path.join(result.dir, 'sft.yaml'));
    expect(sft).toMatchObject({ model_name_or_path: 'meta-llama/Llama-3.2-1B-Instruct', template: 'llama3' });
    expect(result.files.map((file) => file.name)).not.toContain('dpo.yaml');
    const refused = await client.callTool({ name: 'export_dataset', arguments: { run_ids: [run.id], format: 'llama-factory', base_model: 'x; rm -rf /' } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/base_model/);
  });

  it('openai-dpo writes chat rows for train and OpenAI preference rows, each checked against its rules', async () => {
    const { ensemble } = await cascadeAndEnsemble();
    const result = await exportDataset({ run_ids: [ensemble.id], format: 'openai-dpo', name: 'dpo-openai', system_prompt: 'Be precise.' });
    const preference = result.files.find((file) => file.role === 'preference')!;
    const { rows } = await readJsonlStrictly(preference.path);
    expect(rows).toHaveLength(6);
    for (const row of rows) expectOpenAiDpo(row, 'Be precise.');
    expect(((rows[0]!.preferred_output as { content: string }[])[0]!.content)).toBe('Adjust the dose for group 0.');
    const train = await readJsonlStrictly(result.files.find((file) => file.role === 'train')!.path);
    for (const row of train.rows) expectOpenAi(row, 'Be precise.');
  });

  it('axolotl writes chat_template rows and an axolotl.yaml with known keys pointing at the train file', async () => {
    const { run } = await writeCascadeRun(app, 30);
    const result = await exportDataset({ run_ids: [run.id], format: 'axolotl', name: 'axo' });
    const config = await readYaml(path.join(result.dir, 'axolotl.yaml'));
    expect(Object.keys(config).filter((key) => !axolotlKeys.has(key))).toEqual([]);
    const datasets = config.datasets as Record<string, unknown>[];
    expect(datasets).toHaveLength(1);
    expect(Object.keys(datasets[0]!).filter((key) => !axolotlDatasetKeys.has(key))).toEqual([]);
    expect(datasets[0]).toMatchObject({ path: path.join(result.dir, 'train.jsonl'), ds_type: 'json', type: 'chat_template', field_messages: 'messages' });
    const train = await readJsonlStrictly(path.join(result.dir, 'train.jsonl'));
    expect(train.rows.length).toBeGreaterThan(0);
    for (const row of train.rows) expectOpenAi(row);
    expect(JSON.stringify(config)).not.toContain('golden');
  });
});

describe('dataset card', () => {
  it('README.md has Hugging Face front matter and says how the data was made, by which models, cost, approval and leakage', async () => {
    const result = await exportDataset({ run_ids: [fixture.runId], format: 'llama-factory', name: 'card-distill', language: 'en' });
    const text = await readFile(path.join(result.dir, 'README.md'), 'utf8');
    const front = parse(/^---\n([\s\S]*?)\n---\n/.exec(text)![1]!) as Record<string, any>;
    expect(front).toMatchObject({ license: 'other', language: ['en'], task_categories: expect.arrayContaining(['text-generation']), size_categories: ['n<1K'] });
    expect(front.configs[0].data_files).toEqual([{ split: 'train', path: 'train.jsonl' }]);
    const run = app.engine.get(fixture.runId);
    const calls = (await readFile(path.join(app.engine.runDir(run.id), 'calls.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { stage: string; provider: string; model: string });
    for (const call of calls) expect(text).toContain(`${call.stage}: ${call.provider}/${call.model}`);
    expect(text).toContain('Made from: document legal_guide.txt');
    expect(text).toContain(`Cost: $${run.spentUsd.toFixed(4)}`);
    expect(text).toMatch(/Approval rate \(judged samples approved\): \d+\.\d%/);
    expect(text).toContain('## Golden-set leakage check');
  });

  it('counts the train samples dropped for overlapping the golden set, and splits train and test in its configs', async () => {
    const base = await writeCascadeRun(app, 40, { id: 'r-test-card-leaky' });
    const leaks = base.golden.slice(0, 2).map((golden, index) => makeSample('r-test-card-leaky', 900 + index, { instruction: `${golden.instruction} Please explain.`, status: 'approved' }));
    const { run } = await writeCascadeRun(app, 40, { id: 'r-test-card-leaky-2', extraTrain: leaks });
    const result = await exportDataset({ run_ids: [run.id], format: 'jsonl', name: 'card-leaky' });
    const text = await readFile(path.join(result.dir, 'README.md'), 'utf8');
    expect(text).toContain('2 at 0.7 or above were dropped from train');
    const front = parse(/^---\n([\s\S]*?)\n---\n/.exec(text)![1]!) as Record<string, any>;
    expect(front.configs[0].data_files).toEqual([{ split: 'train', path: 'train.jsonl' }, { split: 'test', path: 'golden.jsonl' }]);
  });
});
