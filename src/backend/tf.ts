/**
 * The one place the project imports TensorFlow.js from. tfjs-core's Node bundle registers no
 * gradient functions; the @tensorflow/tfjs bundle registers them (into the global registry that
 * every tfjs-core copy shares), so it is imported once here for that side effect.
 */
import * as tf from '@tensorflow/tfjs-core';
// The full bundle: its gradients (side effect), and the layers and converter APIs that backbones use.
import * as tfjs from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';

// The cpu backend prints a "looks like you are running TensorFlow.js in Node.js" banner on its
// first write. Backends are chosen explicitly here (init-backend.ts records why), so mark it used.
const cpuBackend = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
if (cpuBackend !== null && cpuBackend.firstUse === true) cpuBackend.firstUse = false;

export { tf, tfjs };
