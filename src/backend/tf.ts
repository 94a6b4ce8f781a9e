/**
 * The one place the project imports TensorFlow.js from. tfjs-core's Node bundle registers no
 * gradient functions; the @tensorflow/tfjs bundle registers them (into the global registry that
 * every tfjs-core copy shares), so it is imported once here for that side effect.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';

export { tf };
