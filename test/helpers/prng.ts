export { seededRandom } from '../../node/core/seeded-random.js';
