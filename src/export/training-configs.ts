/**
 * Training configs written beside an export, runnable as they are: `llamafactory-cli train sft.yaml`
 * (and dpo.yaml for preference pairs), `axolotl train axolotl.yaml`. Keys follow the trainers' own
 * example configs (LLaMA-Factory examples/train_lora/qwen3_lora_{sft,dpo}.yaml, axolotl
 * examples/qwen3/*.yaml). The golden split never enters training: it is kept for evaluate_model.
 */
import { stringify } from 'yaml';

/** A small model that trains on one consumer GPU; the user names another with base_model. */
export const defaultBaseModel = 'Qwen/Qwen3-1.7B';

export interface TrainingInput {
  /** Absolute export folder: the configs name their data files there. */
  dir: string;
  name: string;
  baseModel?: string;
  /** Whether answers carry <think> reasoning, which picks a thinking chat template. */
  thinking: boolean;
  trainRows: number;
  trainFile?: string;
  preferenceFile?: string;
}

export interface TrainingConfig {
  name: string;
  text: string;
}

// The chat template must match the model's; these are LLaMA-Factory template names by model family.
const templates: [RegExp, (thinking: boolean) => string][] = [
  [/qwen3/i, (thinking) => (thinking ? 'qwen3' : 'qwen3_nothink')],
  [/qwen/i, () => 'qwen'],
  [/llama-?3/i, () => 'llama3'],
  [/gemma-?3/i, () => 'gemma3'],
  [/gemma/i, () => 'gemma'],
  [/phi-?4/i, () => 'phi4'],
  [/mistral|ministral/i, () => 'mistral'],
  [/smollm2/i, () => 'smollm2'],
];

export function llamaFactoryTemplate(baseModel: string, thinking: boolean): string | undefined {
  return templates.find(([pattern]) => pattern.test(baseModel))?.[1](thinking);
}

// Small sets need a second pass to learn from; larger ones one (the seed's 1-2 epochs).
const epochs = (rows: number) => (rows < 2000 ? 2.0 : 1.0);
const savedName = (model: string) => model.split('/').pop()!.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');

/** LLaMA-Factory's LoRA SFT on train (with a validation slice of it) and, with preference pairs, DPO. */
export function llamaFactoryConfigs(input: TrainingInput): TrainingConfig[] {
  const model = input.baseModel ?? defaultBaseModel;
  const template = llamaFactoryTemplate(model, input.thinking) ?? 'default';
  const common = (stage: 'sft' | 'dpo', dataset: string, learningRate: number) => ({
    model_name_or_path: model,
    trust_remote_code: true,
    stage,
    do_train: true,
    finetuning_type: 'lora',
    lora_rank: 8,
    lora_target: 'all',
    ...(stage === 'dpo' ? { pref_beta: 0.1, pref_loss: 'sigmoid' } : {}),
    dataset,
    dataset_dir: input.dir,
    template,
    cutoff_len: 2048,
    preprocessing_num_workers: 4,
    output_dir: `saves/${savedName(model)}/lora/${input.name}-${stage}`,
    logging_steps: 10,
    save_steps: 500,
    plot_loss: true,
    overwrite_output_dir: true,
    report_to: 'none',
    per_device_train_batch_size: 1,
    gradient_accumulation_steps: 8,
    learning_rate: learningRate,
    num_train_epochs: epochs(input.trainRows),
    lr_scheduler_type: 'cosine',
    warmup_ratio: 0.1,
    bf16: true,
    // A validation slice needs enough rows that both sides of the split are non-empty.
    ...(input.trainRows >= 20 ? { val_size: 0.1, per_device_eval_batch_size: 1, eval_strategy: 'steps', eval_steps: 500 } : {}),
  });
  const configs: TrainingConfig[] = [];
  if (input.trainFile) configs.push({ name: 'sft.yaml', text: header('llamafactory-cli train sft.yaml', model) + stringify(common('sft', `${input.name}_train`, 1.0e-4)) });
  if (input.preferenceFile) configs.push({ name: 'dpo.yaml', text: header('llamafactory-cli train dpo.yaml (after sft.yaml; set adapter_name_or_path to its output_dir to start from it)', model) + stringify(common('dpo', `${input.name}_preference`, 5.0e-6)) });
  return configs;
}

/** Axolotl's LoRA SFT over the chat_template train file (OpenAI-style messages). */
export function axolotlConfig(input: TrainingInput): TrainingConfig | undefined {
  if (!input.trainFile) return undefined;
  const model = input.baseModel ?? defaultBaseModel;
  const config = {
    base_model: model,
    chat_template: 'tokenizer_default',
    datasets: [{ path: `${input.dir}/${input.trainFile}`, ds_type: 'json', type: 'chat_template', field_messages: 'messages', message_property_mappings: { role: 'role', content: 'content' } }],
    val_set_size: input.trainRows >= 20 ? 0.1 : 0.0,
    output_dir: `./outputs/${input.name}`,
    dataset_prepared_path: `./outputs/${input.name}/prepared`,
    sequence_len: 2048,
    sample_packing: false,
    adapter: 'lora',
    lora_r: 16,
    lora_alpha: 32,
    lora_dropout: 0.05,
    lora_target_linear: true,
    gradient_accumulation_steps: 8,
    micro_batch_size: 1,
    num_epochs: epochs(input.trainRows),
    optimizer: 'adamw_torch',
    lr_scheduler: 'cosine',
    learning_rate: 0.0002,
    bf16: 'auto',
    gradient_checkpointing: true,
    logging_steps: 10,
    warmup_ratio: 0.1,
    saves_per_epoch: 1,
  };
  return { name: 'axolotl.yaml', text: header('axolotl train axolotl.yaml', model) + stringify(config) };
}

function header(command: string, model: string): string {
  return `# Written by Distillery. Run: ${command}\n# Base model: ${model} (export again with base_model to train another). The golden split is not trained on: it is for evaluate_model.\n`;
}
