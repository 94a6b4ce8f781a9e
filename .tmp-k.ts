import { tf } from '/work/main/src/backend/tf.ts';
import '@tensorflow/tfjs-backend-wasm';
const t0 = Date.now();
await tf.setBackend('wasm'); await tf.ready();
console.log('init ms', Date.now()-t0, tf.getBackend());
const ks = tf.getKernelsForBackend('wasm').map(k => k.kernelName).sort();
console.log(ks.length, ks.join(' '));
const want = ['Conv2DBackpropFilter','Conv2DBackpropInput','MaxPoolGrad','UnsortedSegmentSum','Sum','AvgPoolGrad','ReluGrad','Relu','Sqrt','Rsqrt','Mean','FusedConv2D','Conv2D','MaxPool','BatchMatMul','_FusedMatMul','Square','Mul','Add','AddN','Transpose','Slice','Pad','Reverse','GatherV2','OneHot','Prod','Max','Maximum','Minimum','Step','Select','Greater','Tile','BroadcastTo','MirrorPad','Range','Fill','Cast'];
console.log('missing', want.filter(w => !ks.includes(w)));
