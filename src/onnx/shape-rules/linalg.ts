/** MatMul (1-D operands and batched broadcasting) and Gemm. */
import { attrInt, type Dim } from '../ir.js';
import { broadcastShapes, checkUnidirectional, fmtShape, mergeDim, type ShapeRule } from './context.js';

const matmul: ShapeRule = (c) => {
  const a = c.input(0);
  const b = c.input(1);
  if (!a || !b) return undefined;
  if (a.shape.length === 0 || b.shape.length === 0) c.fail(`MatMul operands must have at least one dimension`);
  const A: Dim[] = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const B: Dim[] = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const inner = mergeDim(A[A.length - 1]!, B[B.length - 2]!);
  if (inner === undefined) c.fail(`inner dimensions differ: ${fmtShape(a.shape)} × ${fmtShape(b.shape)}`);
  const batch = broadcastShapes(c, [A.slice(0, -2), B.slice(0, -2)]);
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(A[A.length - 2]!);
  if (b.shape.length > 1) shape.push(B[B.length - 1]!);
  return [{ elemType: a.elemType, shape }];
};

const gemm: ShapeRule = (c) => {
  const a = c.input(0);
  const b = c.input(1);
  if (!a || !b) return undefined;
  if (a.shape.length !== 2 || b.shape.length !== 2) c.fail(`Gemm operands must be 2-D`);
  const [m, ka] = attrInt(c.node, 'transA', 0) ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = attrInt(c.node, 'transB', 0) ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (mergeDim(ka, kb) === undefined) c.fail(`inner dimensions differ: A ${fmtShape(a.shape)}${attrInt(c.node, 'transA', 0) ? 'ᵀ' : ''} × B ${fmtShape(b.shape)}${attrInt(c.node, 'transB', 0) ? 'ᵀ' : ''}`);
  const y = [m, n];
  const bias = c.input(2);
  if (bias) checkUnidirectional(c, y, bias.shape, 'C');
  return [{ elemType: a.elemType, shape: y }];
};

export const linalgRules: Record<string, ShapeRule> = { MatMul: matmul, Gemm: gemm };
