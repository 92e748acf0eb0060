import { readQuality, runConformance } from '../../../test/conformance/run';
import { ecobeeKit } from './kit';

runConformance(ecobeeKit, await readQuality('ecobee'));
