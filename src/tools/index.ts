/** Every MCP tool, in the order a person meets them. */
import type { AnyTool } from './define.js';
import { budgetStatusTool } from './budget-status.js';
import { checkSetupTool } from './check-setup.js';
import { distillFileTool } from './distill-file.js';
import { listDocumentsTool } from './list-documents.js';
import { cancelRunTool, listRunsTool, resumeRunTool, runStatusTool } from './run-tools.js';

export const tools: AnyTool[] = [checkSetupTool, budgetStatusTool, listDocumentsTool, distillFileTool, runStatusTool, listRunsTool, cancelRunTool, resumeRunTool];
