// The door: the camera reads invitations' QR codes (ZXing-C++ as WebAssembly, vendored) and each
// code checks its delegate in, through the live page's outbox. Finding a name needs no camera.

import { prepareZXingModule, readBarcodes } from "/static/vendor/zxing-wasm/reader/index.js";

prepareZXingModule({
  overrides: { locateFile: (path) => `/static/vendor/zxing-wasm/reader/${path}` },
});

const SCAN_EVERY_MS = 200;
const SAME_CODE_MS = 4000; // one invitation held in front of the camera is one check-in
const video = document.getElementById("scan-video");
const start = document.getElementById("scan-start");
const stop = document.getElementById("scan-stop");
const result = document.getElementById("scan-result");
const texts = document.getElementById("door-texts").dataset;
const canvas = document.createElement("canvas");
const seen = new Map(); // code -> when last read
let stream = null;
let timer = null;

/** The delegate id in an invitation's QR: the code after /d/ in its link, or the bare code. */
export function delegateOf(text) {
  const match = /\/d\/([^/?#\s]+)/.exec(text);
  const code = decodeURIComponent(match ? match[1] : text.trim());
  const [id, mac] = code.split("~");
  return id && mac ? id : null;
}

function say(message, good) {
  result.textContent = message;
  result.className = `scan-result ${good ? "good" : "bad"}`;
}

function found(text) {
  const now = Date.now();
  if (now - (seen.get(text) || 0) < SAME_CODE_MS) return;
  seen.set(text, now);
  const id = delegateOf(text);
  const row = id && document.getElementById(`door-${id}`);
  if (!row) {
    say(texts.notHere, false);
    return;
  }
  const name = row.querySelector(".door-name strong").textContent;
  if (row.dataset.status === "present") {
    say(`${texts.already}: ${name}`, true);
    return;
  }
  document.dispatchEvent(
    new CustomEvent("diemcau:command", { detail: { type: "check_in_delegate", delegate_id: id, how: "code" } }),
  );
  say(`${texts.checkedIn}: ${name}`, true);
}

async function scan() {
  timer = null;
  if (!stream) return;
  if (video.readyState >= 2 && video.videoWidth) {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const codes = await readBarcodes(image, { formats: ["QRCode"], maxNumberOfSymbols: 4 });
    for (const code of codes) if (code.isValid) found(code.text);
  }
  if (stream) timer = setTimeout(scan, SCAN_EVERY_MS);
}

async function open() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch {
    say(texts.noCamera, false);
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  start.hidden = true;
  stop.hidden = false;
  await video.play();
  scan();
}

function close() {
  if (timer) clearTimeout(timer);
  timer = null;
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  video.hidden = true;
  start.hidden = false;
  stop.hidden = true;
}

start.addEventListener("click", open);
stop.addEventListener("click", close);
