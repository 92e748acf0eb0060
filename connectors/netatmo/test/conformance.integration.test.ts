import { readQuality, runConformance } from '../../../test/conformance/run';
import { netatmoKit } from './kit';

runConformance(netatmoKit, await readQuality('netatmo'));
