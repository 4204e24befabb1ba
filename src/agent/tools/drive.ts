// Driving on the world's roads: the environment of the planning study. The trip knows which roads are
// closed; the agent learns it only by driving.
import { DRIVE_TOOL, type RoadTrip } from '../../data/index.js';
import { manualTool } from './manual.js';

export const driveTool = (trip: RoadTrip) =>
  manualTool<{ to: string }>(DRIVE_TOOL, ({ to }) => trip.drive(to));
