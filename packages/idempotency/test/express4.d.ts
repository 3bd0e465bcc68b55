// `express4` is Express 4 installed under an alias for the adapter tests; its API is typed with
// the Express 5 types the tests already use (the middleware touches only what both share).
declare module 'express4' {
  import express from 'express';
  export default express;
}
