/** Elementwise ops: unary activations, numpy-broadcasting binary/variadic ops, comparisons, casts. */
import { attrInt, DType } from '../ir.js';
import { broadcastShapes, checkUnidirectional, same, type RuleContext, type ShapeInfo, type ShapeRule } from './context.js';

const unary: ShapeRule = (c) => {
  const x = c.input(0);
  return x && [same(x)];
};

const toBool: ShapeRule = (c) => {
  const x = c.input(0);
  return x && [same(x, DType.BOOL)];
};

function inputsAll(c: RuleContext, n: number): ShapeInfo[] | undefined {
  const xs: ShapeInfo[] = [];
  for (let i = 0; i < n; i++) {
    const x = c.input(i);
    if (!x) return undefined;
    xs.push(x);
  }
  return xs;
}

function broadcasting(resultType: (xs: ShapeInfo[]) => number): ShapeRule {
  return (c) => {
    const xs = inputsAll(c, c.node.inputs.length);
    if (!xs || xs.length === 0) return undefined;
    return [{ elemType: resultType(xs), shape: broadcastShapes(c, xs.map((x) => x.shape)) }];
  };
}

const firstType = (xs: ShapeInfo[]) => xs[0]!.elemType;
const boolType = () => DType.BOOL;

const prelu: ShapeRule = (c) => {
  const x = c.input(0);
  const slope = c.input(1);
  if (!x) return undefined;
  if (slope) checkUnidirectional(c, x.shape, slope.shape, 'slope');
  return [same(x)];
};

const where: ShapeRule = (c) => {
  const xs = inputsAll(c, 3);
  if (!xs) return undefined;
  return [{ elemType: xs[1]!.elemType, shape: broadcastShapes(c, xs.map((x) => x.shape)) }];
};

const cast: ShapeRule = (c) => {
  const x = c.input(0);
  return x && [same(x, attrInt(c.node, 'to', x.elemType))];
};

const castLike: ShapeRule = (c) => {
  const x = c.input(0);
  const t = c.input(1);
  return x && t && [same(x, t.elemType)];
};

const UNARY = [
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Softplus', 'Softsign', 'Erf', 'Gelu',
  'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'Sqrt', 'Elu', 'Selu', 'Celu', 'Mish', 'ThresholdedRelu', 'Shrink',
  'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh',
  'Acosh', 'Atanh', 'Identity', 'Clip', 'Not', 'CumSum', 'Trilu', 'BitwiseNot',
];

export const elementwiseRules: Record<string, ShapeRule> = {
  ...Object.fromEntries(UNARY.map((op) => [op, unary])),
  IsNaN: toBool,
  IsInf: toBool,
  PRelu: prelu,
  Add: broadcasting(firstType),
  Sub: broadcasting(firstType),
  Mul: broadcasting(firstType),
  Div: broadcasting(firstType),
  Pow: broadcasting(firstType),
  Mod: broadcasting(firstType),
  BitShift: broadcasting(firstType),
  Sum: broadcasting(firstType),
  Max: broadcasting(firstType),
  Min: broadcasting(firstType),
  Mean: broadcasting(firstType),
  And: broadcasting(boolType),
  Or: broadcasting(boolType),
  Xor: broadcasting(boolType),
  Equal: broadcasting(boolType),
  Greater: broadcasting(boolType),
  Less: broadcasting(boolType),
  GreaterOrEqual: broadcasting(boolType),
  LessOrEqual: broadcasting(boolType),
  Where: where,
  Cast: cast,
  CastLike: castLike,
};
