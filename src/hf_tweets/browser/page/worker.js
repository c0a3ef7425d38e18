// The bot's own thread: transformers.js loads and runs the model here, so the page stays responsive and shows
// each token as it comes (WebAssembly with one thread would hold the page's thread for a whole post).
// Messages in: {load: {library, bot, local_models, hub, wasm}} then {write: prompt}. Out: {progress: [loaded, total]},
// {ready: true}, {prompt: ids}, {text: piece}, {tokens: ids}, {done: {milliseconds, first}}, {error: message}.

let library = null;
let loaded = null;

function withSlash(url) {
  return url.endsWith("/") ? url : url + "/";
}

function configure(env, where) {
  if (where.local_models) {
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    // A path on the page's server: transformers.js joins it with the file's name (a full URL would lose its "//").
    env.localModelPath = withSlash(where.local_models);
  } else {
    env.allowLocalModels = false;
    env.remoteHost = withSlash(where.hub);
  }
  if (where.wasm) env.backends.onnx.wasm.wasmPaths = withSlash(where.wasm);
  // One thread: more need cross-origin isolation, which a static Space does not give.
  env.backends.onnx.wasm.numThreads = 1;
}

function progressReporter() {
  const files = new Map();
  return (event) => {
    if (event.status !== "progress" || !event.total) return;
    files.set(event.file, [event.loaded, event.total]);
    let sum = 0;
    let total = 0;
    for (const [done, size] of files.values()) {
      sum += done;
      total += size;
    }
    postMessage({ progress: [sum, total] });
  };
}

async function load(where) {
  library = await import(where.library);
  configure(library.env, where);
  const progress_callback = progressReporter();
  const tokenizer = await library.AutoTokenizer.from_pretrained(where.bot, { progress_callback });
  // dtype q8: onnx/model_quantized.onnx; generate() then reads the bot's own generation_config.json.
  const model = await library.AutoModelForCausalLM.from_pretrained(where.bot, {
    dtype: "q8",
    device: "wasm",
    progress_callback,
  });
  loaded = { tokenizer, model };
  postMessage({ ready: true });
}

async function write(prompt) {
  let started = 0;
  let first = null;
  let prompted = false;
  // The prompt is streamed back too: the page shows only text the tokenizer decoded, the prompt's included.
  const streamer = new library.TextStreamer(loaded.tokenizer, {
    skip_prompt: false,
    skip_special_tokens: true,
    callback_function: (piece) => postMessage({ text: piece }),
    token_callback_function: (tokens) => {
      if (!prompted) return void (prompted = true);
      first ??= performance.now() - started;
      postMessage({ tokens: tokens.map(String) });
    },
  });
  const inputs = loaded.tokenizer(prompt);
  postMessage({ prompt: Array.from(inputs.input_ids.data, String) });
  started = performance.now();
  await loaded.model.generate({ ...inputs, streamer });
  postMessage({ done: { milliseconds: performance.now() - started, first } });
}

onmessage = (event) => {
  const task = event.data.load ? load(event.data.load) : write(String(event.data.write));
  task.catch((error) => postMessage({ error: error && error.message ? error.message : String(error) }));
};
