/** The package ships no types; the worker's shape is declared where it is used (speech/espeak.tts.ts). */
declare module '@echogarden/espeak-ng-emscripten' {
  const init: () => Promise<unknown>;
  export default init;
}
