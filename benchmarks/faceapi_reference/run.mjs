// Runs the original face-api 1.7.15 networks (TF.js 4.22.0, pure-JS CPU backend) on the inputs of a job file
// written by make_fixture.py and writes their outputs as JSON. Usage: node run.mjs JOB.json
//
// job: {"model_dir": DIR, "detect": [{"id", "npy"}], "faces": [{"id", "npy150", "npy112"}], "out": PATH}
// Images are .npy files of uint8 [H, W, 3] RGB: node sees exactly the pixels Python made.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
// the package's node build over the JS TF.js packages (it never loads tfjs-node's native binary)
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const tf = faceapi.tf;

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  if (!header.includes("'descr': '|u1'") || !header.includes("'fortran_order': False")) {
    throw new Error(`${file}: expected a C-ordered uint8 array, header ${header}`);
  }
  const shape = header.match(/'shape': \((\d+), (\d+), (\d+)\)/).slice(1, 4).map(Number);
  const data = new Float32Array(buf.subarray(start, start + shape[0] * shape[1] * shape[2]));
  return tf.tensor3d(data, shape, 'float32');
}

function loadNet(net, modelDir, stem) {
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, `${stem}-weights_manifest.json`), 'utf8'));
  const map = {};
  for (const group of manifest) {
    const parts = group.paths.map((p) => fs.readFileSync(path.join(modelDir, p)));
    const all = Buffer.concat(parts);
    const buffer = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
    Object.assign(map, tf.io.decodeWeights(buffer, group.weights)); // TF.js's own decoder, dequantisation included
  }
  net.loadFromWeightMap(map);
}

async function values(t) {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  await tf.setBackend('cpu');
  await tf.ready();
  if (tf.getBackend() !== 'cpu') throw new Error(`backend is ${tf.getBackend()}, not cpu`);
  const { nets } = faceapi;
  const stems = {
    ssdMobilenetv1: 'ssd_mobilenetv1_model', faceRecognitionNet: 'face_recognition_model',
    faceLandmark68Net: 'face_landmark_68_model', faceLandmark68TinyNet: 'face_landmark_68_tiny_model',
    faceExpressionNet: 'face_expression_model', ageGenderNet: 'age_gender_model',
  };
  for (const [name, stem] of Object.entries(stems)) loadNet(nets[name], job.model_dir, stem);

  const out = { versions: tf.version, backend: tf.getBackend(), faceapi: faceapi.version, detections: {}, faces: {} };
  for (const item of job.detect) {
    const img = readNpy(item.npy);
    const found = await nets.ssdMobilenetv1.locateFaces(img, { minConfidence: 0.5, maxResults: 100 });
    out.detections[item.id] = found.map((d) => ({ box: [d.box.x, d.box.y, d.box.width, d.box.height], score: d.score }));
    img.dispose();
  }
  for (const item of job.faces) {
    const x150 = readNpy(item.npy150);
    const x112 = readNpy(item.npy112);
    const ag = await nets.ageGenderNet.forward(x112);
    out.faces[item.id] = {
      descriptor: await values(await nets.faceRecognitionNet.forward(x150)),
      landmarks68: await values(await nets.faceLandmark68Net.forward(x112)),
      landmarks68_tiny: await values(await nets.faceLandmark68TinyNet.forward(x112)),
      expression: await values(await nets.faceExpressionNet.forward(x112)),
      age: (await values(ag.age))[0],
      gender: await values(ag.gender),
    };
    x150.dispose();
    x112.dispose();
  }
  fs.writeFileSync(job.out, JSON.stringify(out));
  console.log(`face-api ${faceapi.version} on tfjs ${tf.version.tfjs} (${tf.getBackend()}): `
    + `${job.detect.length} photos, ${job.faces.length} faces -> ${job.out}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
