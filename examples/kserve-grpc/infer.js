#!/usr/bin/env node
// A KServe v2 gRPC client in Node.js, with @grpc/grpc-js and @grpc/proto-loader (npm) and the
// protocol's service definition (src/api/proto/grpc_service.proto): it asks sensix serve (started
// with --grpc-listen) for the server's and a model's metadata, then runs one inference with the
// values of a JSON file (a flat array; zeros without one) as the model's first input, and prints
// each answer as one line of JSON.
//
//   npm install @grpc/grpc-js@1.14.7 @grpc/proto-loader@0.8.1
//   node examples/kserve-grpc/infer.js 127.0.0.1:8001 alexa [values.json]
//
// SENSIX_TOKEN, when set, is sent as "authorization: Bearer <token>". Exit codes: 0 answered,
// 1 the server refused (the gRPC status and message are printed), 2 bad arguments.
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [address, model, valuesFile] = process.argv.slice(2);
if (!address || !model) {
  console.error('usage: infer.js ADDRESS:PORT MODEL [VALUES.json]');
  process.exit(2);
}

const proto = path.join(__dirname, '..', '..', 'src', 'api', 'proto', 'grpc_service.proto');
const definition = protoLoader.loadSync(proto, {keepCase: true, longs: Number, defaults: true});
const {inference} = grpc.loadPackageDefinition(definition);
const client = new inference.GRPCInferenceService(address, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
if (process.env.SENSIX_TOKEN) metadata.set('authorization', `Bearer ${process.env.SENSIX_TOKEN}`);

// One call as a promise.
const call = (method, request) =>
  new Promise((resolve, reject) =>
    client[method](request, metadata, (err, response) => (err ? reject(err) : resolve(response))));

// The values of a raw output, by datatype.
function decode(datatype, bytes) {
  const views = {
    FP32: [Float32Array, 4], FP16: [Uint16Array, 2], INT64: [BigInt64Array, 8], INT32: [Int32Array, 4],
    INT8: [Int8Array, 1], UINT8: [Uint8Array, 1], BOOL: [Uint8Array, 1],
  };
  const [View, size] = views[datatype];
  const copy = new Uint8Array(bytes).buffer;  // aligned
  return Array.from(new View(copy, 0, bytes.length / size), (v) => (typeof v === 'bigint' ? Number(v) : v));
}

async function main() {
  const server = await call('ServerMetadata', {});
  console.log(JSON.stringify({server: {name: server.name, version: server.version, extensions: server.extensions}}));
  const meta = await call('ModelMetadata', {name: model});
  console.log(JSON.stringify({model: {name: meta.name, versions: meta.versions, platform: meta.platform,
    inputs: meta.inputs.map(({name, datatype, shape}) => ({name, datatype, shape})),
    outputs: meta.outputs.map(({name, datatype, shape}) => ({name, datatype, shape}))}}));

  const input = meta.inputs[0];
  if (input.datatype !== 'FP32') throw new Error(`this example sends FP32 inputs; ${input.name} is ${input.datatype}`);
  const count = input.shape.reduce((a, b) => a * b, 1);
  const values = valuesFile ? JSON.parse(fs.readFileSync(valuesFile, 'utf8')) : new Array(count).fill(0);
  if (values.length !== count) throw new Error(`${input.name} takes ${count} values, ${valuesFile} has ${values.length}`);
  const raw = Buffer.from(new Float32Array(values).buffer);  // little-endian, row-major

  const answer = await call('ModelInfer', {
    model_name: model,
    id: 'node-1',
    inputs: [{name: input.name, datatype: 'FP32', shape: input.shape}],
    raw_input_contents: [raw],
  });
  console.log(JSON.stringify({id: answer.id, model_name: answer.model_name, model_version: answer.model_version,
    outputs: answer.outputs.map((o, i) => ({name: o.name, datatype: o.datatype, shape: o.shape,
      data: decode(o.datatype, answer.raw_output_contents[i])}))}));
}

main().then(() => client.close(), (err) => {
  console.log(JSON.stringify({error: {code: grpc.status[err.code] || err.code, message: err.details || err.message}}));
  client.close();
  process.exit(1);
});
