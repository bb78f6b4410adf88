// Row-major float32 matrix helpers shared by the model's weight layout conversions (HF [out, in] ↔ [in, out]).

/** A row-major [rows, cols] matrix transposed to row-major [cols, rows]. */
export function transposeMatrix(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] ?? 0;
  }
  return out;
}
