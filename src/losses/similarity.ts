import { tf } from '../backend/tf.js';

/**
 * S = q · refᵀ, the cosine similarity of rows that are already L2-normalised (the embedder's
 * head normalises; this function does not).
 *
 * Why a custom gradient: tfjs-wasm runs matMul with transposeA/transposeB outside XNNPACK,
 * 14-45x slower, and the stock matMul gradient uses exactly those flags. Here the forward and
 * both gradients use flag-free products with explicit transposes:
 *   dq = dS · ref,  dref = (dS)ᵀ · q.
 * The gradient w.r.t. ref is always returned, so passing the same tensor as q and ref (the
 * in-batch case) accumulates both contributions, as autograd of q · qᵀ does.
 *
 * The caller owns the returned tensor.
 */
export function cosineSimilarity(q: tf.Tensor2D, ref: tf.Tensor2D): tf.Tensor2D {
  return similarityOp(q, ref) as tf.Tensor2D;
}

const similarityOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [q, ref, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([q, ref]);
  return {
    value: tf.matMul(q, tf.transpose(ref)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [qs, refs] = saved as tf.Tensor2D[];
      const dS = dy as tf.Tensor2D;
      return [tf.matMul(dS, refs), tf.matMul(tf.transpose(dS), qs)];
    },
  };
});
