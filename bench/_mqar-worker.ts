// A child process of bench/mqar.ts: trains each MQAR cell it is sent and sends back the result.
import { type Cell, trainCell } from './_mqar.js';

process.on('message', (cell: Cell) => process.send?.(trainCell(cell)));
