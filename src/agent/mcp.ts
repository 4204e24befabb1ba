// MCP (the Model Context Protocol), both ways, with the official SDK: the tools of any MCP server over
// stdio become AI SDK tools an agent can call (connectMcp), and any AI SDK tools can be served as an MCP
// server (serveMcp; `jielong mcp` serves jielong's own). Tools cross as their JSON Schemas, so neither
// side needs to know how the other wrote them.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { asSchema, jsonSchema, type ToolSet, tool } from 'ai';

type Content = { type: string; text?: string }[];
const textOf = (content: Content) =>
  content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');

export interface McpConnection {
  tools: ToolSet;
  close(): Promise<void>;
}

/** The tools of the MCP server that `command` starts (spoken to over its stdin and stdout). */
export async function connectMcp(server: {
  command: string;
  args?: string[];
  env?: Record<string, string>;
}): Promise<McpConnection> {
  const client = new Client({ name: 'jielong', version: '0.1.0' });
  await client.connect(
    new StdioClientTransport({ command: server.command, args: server.args, env: server.env }),
  );
  const { tools: listed } = await client.listTools();
  const tools: ToolSet = {};
  for (const t of listed) {
    tools[t.name] = tool({
      description: t.description,
      inputSchema: jsonSchema(t.inputSchema as never),
      execute: async (input: unknown) => {
        const r = await client.callTool({ name: t.name, arguments: input as Record<string, unknown> });
        const text = textOf((r.content ?? []) as Content);
        if (r.isError) throw new Error(`${t.name}: ${text}`);
        return text;
      },
    });
  }
  return { tools, close: () => client.close() };
}

/** An MCP server offering `tools`; arguments are checked by each tool's own schema before it runs. */
export function mcpServer(tools: ToolSet, info = { name: 'jielong', version: '0.1.0' }): Server {
  const server = new Server(info, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: await Promise.all(
      Object.entries(tools).map(async ([name, t]) => ({
        name,
        description: t.description,
        inputSchema: (await asSchema(t.inputSchema).jsonSchema) as { type: 'object' },
      })),
    ),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const t = tools[request.params.name];
    const fail = (text: string) => ({ content: [{ type: 'text' as const, text }], isError: true });
    if (!t?.execute)
      return fail(`no tool "${request.params.name}" (tools: ${Object.keys(tools).join(', ')})`);
    const checked = await asSchema(t.inputSchema).validate?.(request.params.arguments ?? {});
    if (checked && !checked.success) return fail(`invalid arguments: ${checked.error.message}`);
    try {
      const input = checked ? checked.value : request.params.arguments;
      const result = await t.execute(input, { toolCallId: 'mcp', messages: [] });
      return {
        content: [
          { type: 'text' as const, text: typeof result === 'string' ? result : JSON.stringify(result) },
        ],
      };
    } catch (e) {
      return fail((e as Error).message);
    }
  });
  return server;
}

/** Serves `tools` over stdin and stdout until the client goes. */
export async function serveMcp(
  tools: ToolSet,
  transport: Transport = new StdioServerTransport(),
): Promise<void> {
  await mcpServer(tools).connect(transport);
}
