// The service a user would write instead of sensix, for the inference benchmark
// (bench/inference_bench.cpp): Node.js's http server with onnxruntime-node, serving KServe v2 JSON
// inference for one ONNX model, as an expert would write it in a few dozen lines: one session
// created at start (one intra-op thread, as sensix's), keep-alive connections, the input checked
// against the model, the outputs as the protocol's JSON.
//   node node_server.js MODEL_FILE MODEL_NAME
// Prints "listening on PORT" (a free loopback port) once the session is ready.
'use strict';
const http = require('http');
const ort = require('onnxruntime-node');

const [modelFile, modelName] = process.argv.slice(2);

function reply(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)});
  res.end(body);
}

async function main() {
  const session = await ort.InferenceSession.create(modelFile, {intraOpNumThreads: 1, interOpNumThreads: 1});
  const inputName = session.inputNames[0];
  const path = `/v2/models/${modelName}/infer`;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v2/health/live') return reply(res, 200, {live: true});
    if (req.method !== 'POST' || req.url !== path) return reply(res, 404, {error: `no endpoint ${req.url}`});
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch (e) {
        return reply(res, 400, {error: 'the request body is not valid JSON'});
      }
      const input = (body.inputs || []).find((i) => i.name === inputName);
      if (!input || input.datatype !== 'FP32' || !Array.isArray(input.data)) {
        return reply(res, 400, {error: `input "${inputName}" (FP32, data) is missing`});
      }
      const count = input.shape.reduce((a, b) => a * b, 1);
      const data = input.data.flat(Infinity);
      if (data.length !== count) {
        return reply(res, 400, {error: `input "${inputName}": shape holds ${count} values, "data" has ${data.length}`});
      }
      try {
        const out = await session.run({[inputName]: new ort.Tensor('float32', Float32Array.from(data), input.shape)});
        const outputs = session.outputNames.map((name) => ({
          name, datatype: 'FP32', shape: out[name].dims, data: Array.from(out[name].data),
        }));
        const answer = {model_name: modelName, model_version: '1', outputs};
        if (body.id !== undefined) answer.id = body.id;
        reply(res, 200, answer);
      } catch (e) {
        reply(res, 500, {error: String(e)});
      }
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
