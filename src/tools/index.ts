/** Every MCP tool, in the order a person meets them. */
import type { AnyTool } from './define.js';
import { budgetStatusTool } from './budget-status.js';
import { checkSetupTool } from './check-setup.js';
import { distillFileTool } from './distill-file.js';
import { listDocumentsTool } from './list-documents.js';
import { startCascadeTool } from './start-cascade.js';
import { runStatusTool } from './run-status.js';
import { listRunsTool } from './list-runs.js';
import { cancelRunTool } from './cancel-run.js';
import { resumeRunTool } from './resume-run.js';
import { startEnsembleTool } from './start-ensemble.js';
import { reviewSamplesTool } from './review-samples.js';
import { exportDatasetTool } from './export-dataset.js';
import { planBudgetTool } from './plan-budget.js';
import { setBudgetTool } from './set-budget.js';
import { evaluateModelTool } from './evaluate-model.js';

export const tools: AnyTool[] = [checkSetupTool, budgetStatusTool, planBudgetTool, setBudgetTool, listDocumentsTool, distillFileTool, startCascadeTool, startEnsembleTool, runStatusTool, listRunsTool, cancelRunTool, resumeRunTool, reviewSamplesTool, exportDatasetTool, evaluateModelTool];
