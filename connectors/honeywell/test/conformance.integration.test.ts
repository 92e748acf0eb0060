import { readQuality, runConformance } from '../../../test/conformance/run';
import { honeywellKit } from './kit';

runConformance(honeywellKit, await readQuality('honeywell'));
