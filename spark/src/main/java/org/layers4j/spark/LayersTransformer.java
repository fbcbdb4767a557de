package org.layers4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.GraphModule;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;
import scala.runtime.AbstractFunction1;

/**
 * Scores a DataFrame column with a layers4j model file: each row's {@code inputCol} (array&lt;float&gt;,
 * one sample of shape {@code inputShape}, row-major) goes through the model in batches of
 * {@code batchSize} rows per partition, and its output (flattened, array&lt;float&gt;) lands in
 * {@code outputCol}. Rows keep their order; a null input gives a null output.
 *
 * <p>A model with several outputs (a graph file returning a dict, such as a torchvision segmentation
 * model's {@code {"out": ..., "aux": ...}}, or a tuple) puts one of them in {@code outputCol}: the one
 * {@code outputName} names ({@code out}, {@code aux}; {@code 0}, {@code 1} for a tuple; {@code output} for a
 * model returning one tensor), by default the model's first. The name is checked on the driver when the
 * model file is readable there (its header only: an unknown name is an IllegalArgumentException listing
 * the model's outputs), and on the executors in any case.
 *
 * <p>Each executor JVM loads the model once per (modelPath, backend) ({@link ModelCache}); the file
 * must be readable at {@code modelPath} on every executor, or be shipped with {@code --files}
 * (then its file name is looked up with {@code SparkFiles}). The schema is checked on the driver,
 * each row's length on the executor.
 *
 * <p>On Spark's classic (non-Connect) Datasets the partitions are scored on Catalyst's internal rows
 * ({@code queryExecution().toRdd()}, then {@code internalCreateDataFrame}): the input array is read
 * with one copy and the output written as one primitive array, where the public Row API would box
 * every float (for a small model that costs more than the forward itself). Other Datasets take the
 * Row path, which gives the same values.
 */
public class LayersTransformer extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    private static final Pattern BACKEND_SPEC = Pattern.compile("auto|cpu|cuda(:\\d+)?");

    private final String uid;
    private final Param<String> modelPath;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final IntArrayParam inputShape;
    private final IntParam batchSize;
    private final Param<String> backend;
    private final Param<String> outputName;

    public LayersTransformer() {
        this(Identifiable$.MODULE$.randomUID("layersTransformer"));
    }

    public LayersTransformer(String uid) {
        this.uid = uid;
        modelPath = new Param<>(this, "modelPath", "path of the layers4j model file (a safetensors file with the"
                + " architecture in its metadata), readable on every executor");
        inputCol = new Param<>(this, "inputCol", "input column: array<float>, one sample, row-major");
        outputCol = new Param<>(this, "outputCol", "output column: array<float>, the model's output for the row, flattened");
        inputShape = new IntArrayParam(this, "inputShape", "shape of one row's sample without the batch dimension,"
                + " e.g. [3, 32, 32]", new PositiveDims());
        batchSize = new IntParam(this, "batchSize", "rows per forward call (>= 1)", ParamValidators.gtEq(1));
        backend = new Param<>(this, "backend", "layers4j backend on the executors: auto, cpu, cuda or cuda:N",
                new BackendSpec());
        outputName = new Param<>(this, "outputName", "which output of a multi-output model (a graph returning a dict"
                + " or tuple) goes to outputCol: a dict key such as 'out' or 'aux', a tuple index such as '0', 'output'"
                + " for a single tensor; unset: the model's first output", new NonBlank());
        setDefault(outputCol, "output");
        setDefault(batchSize, 64);
        setDefault(backend, "auto");
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> modelPath() {
        return modelPath;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public IntArrayParam inputShape() {
        return inputShape;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public Param<String> backend() {
        return backend;
    }

    public Param<String> outputName() {
        return outputName;
    }

    public LayersTransformer setModelPath(String value) {
        set(modelPath, value);
        return this;
    }

    public LayersTransformer setInputCol(String value) {
        set(inputCol, value);
        return this;
    }

    public LayersTransformer setOutputCol(String value) {
        set(outputCol, value);
        return this;
    }

    public LayersTransformer setInputShape(int... value) {
        set(inputShape, value.clone());
        return this;
    }

    /** The same from a list (PySpark passes a Python list as a {@code java.util.List}). */
    public LayersTransformer setInputShape(List<Integer> value) {
        return setInputShape(value.stream().mapToInt(Integer::intValue).toArray());
    }

    public LayersTransformer setBatchSize(int value) {
        set(batchSize, value);
        return this;
    }

    public LayersTransformer setBackend(String value) {
        set(backend, value);
        return this;
    }

    /** Which output of a multi-output model lands in outputCol (a dict key, a tuple index); unset: the first. */
    public LayersTransformer setOutputName(String value) {
        set(outputName, value);
        return this;
    }

    public String getModelPath() {
        return getOrDefault(modelPath);
    }

    public String getInputCol() {
        return getOrDefault(inputCol);
    }

    public String getOutputCol() {
        return getOrDefault(outputCol);
    }

    public int[] getInputShape() {
        return getOrDefault(inputShape).clone();
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    public String getBackend() {
        return getOrDefault(backend);
    }

    /** The output selected with {@link #setOutputName}, or null for the model's first output. */
    public String getOutputName() {
        return isDefined(outputName) ? getOrDefault(outputName) : null;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        for (Param<?> p : List.of(modelPath, inputCol, inputShape)) {
            if (!isDefined(p)) {
                throw new IllegalArgumentException("LayersTransformer: param '" + p.name() + "' is not set");
            }
        }
        String in = getInputCol();
        String out = getOutputCol();
        List<String> names = Arrays.asList(schema.fieldNames());
        if (!names.contains(in)) {
            throw new IllegalArgumentException("input column '" + in + "' does not exist; the columns are " + names);
        }
        DataType type = schema.apply(in).dataType();
        if (!(type instanceof ArrayType) || !((ArrayType) type).elementType().equals(DataTypes.FloatType)) {
            throw new IllegalArgumentException("input column '" + in + "' is " + type.simpleString()
                    + ", expected array<float> (one sample of shape " + Arrays.toString(getInputShape())
                    + ", row-major; cast an array<double> with col.cast(\"array<float>\"))");
        }
        if (names.contains(out)) {
            throw new IllegalArgumentException("output column '" + out + "' already exists");
        }
        checkOutputName();
        return schema.add(new StructField(out, DataTypes.createArrayType(DataTypes.FloatType, false), true,
                org.apache.spark.sql.types.Metadata.empty()));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType outSchema = transformSchema(dataset.schema(), true);
        if (dataset instanceof org.apache.spark.sql.classic.Dataset) {
            org.apache.spark.sql.classic.Dataset<?> classic = (org.apache.spark.sql.classic.Dataset<?>) dataset;
            boolean nullableElements = ((ArrayType) dataset.schema().apply(getInputCol()).dataType()).containsNull();
            RDD<InternalRow> scored = classic.queryExecution().toRdd().toJavaRDD()
                    .mapPartitions(new InternalRowScorer(scorer(dataset), nullableElements), true).rdd();
            return classic.sparkSession().internalCreateDataFrame(scored, outSchema, false);
        }
        return transformRows(dataset, outSchema);
    }

    /** The same through the public Row API: for a Dataset that is not Spark's classic one, and the tests. */
    Dataset<Row> transformRows(Dataset<?> dataset, StructType outSchema) {
        return dataset.toDF().mapPartitions(new RowScorer(scorer(dataset)), Encoders.row(outSchema));
    }

    /**
     * Checks outputName against the outputs the model file declares, when the file is readable on the driver
     * (otherwise, or when its header cannot be read, the executors check it and report any problem).
     */
    private void checkOutputName() {
        String name = getOutputName();
        if (name == null) {
            return;
        }
        java.nio.file.Path file = ModelCache.resolve(getModelPath());
        if (!java.nio.file.Files.isRegularFile(file)) {
            return;
        }
        ModelOutputs.Declared declared;
        try {
            declared = ModelOutputs.read(file);
        } catch (java.io.IOException | RuntimeException e) {
            return;
        }
        if (!declared.accepts(name)) {
            throw new IllegalArgumentException("outputName '" + name + "': the model " + getModelPath()
                    + " has no such output; its outputs are " + declared.names());
        }
    }

    private Scorer scorer(Dataset<?> dataset) {
        return new Scorer(getModelPath(), getBackend().trim().toLowerCase(Locale.ROOT), getInputShape(),
                getBatchSize(), dataset.schema().fieldIndex(getInputCol()), getInputCol(), getOutputName());
    }

    @Override
    public LayersTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Reader for {@code LayersTransformer.load(path)} and for a Pipeline holding one (Spark finds it by reflection). */
    public static MLReader<LayersTransformer> read() {
        return new DefaultParamsReader<>();
    }

    public static LayersTransformer load(String path) {
        return read().load(path);
    }

    /**
     * What a partition needs on the executor: the model's coordinates, the sample shape and the batch
     * size. {@link #score} runs one batch; the row paths below feed it.
     */
    static final class Scorer implements Serializable {
        private static final long serialVersionUID = 1L;
        final String modelPath;
        final String backendSpec;
        final int[] sampleShape;
        final int sampleSize;
        final int batchSize;
        final int inputIndex;
        final String inputName;
        /** The output to keep, or null for the model's first. */
        final String outputName;

        Scorer(String modelPath, String backendSpec, int[] sampleShape, int batchSize, int inputIndex, String inputName,
                String outputName) {
            this.outputName = outputName;
            this.modelPath = modelPath;
            this.backendSpec = backendSpec;
            this.sampleShape = sampleShape;
            this.batchSize = batchSize;
            this.inputIndex = inputIndex;
            this.inputName = inputName;
            int size = 1;
            for (int d : sampleShape) {
                size *= d;
            }
            this.sampleSize = size;
        }

        void checkLength(int length, long rowIndex) {
            if (length != sampleSize) {
                throw new IllegalArgumentException("row " + rowIndex + " of partition " + partition() + ": column '"
                        + inputName + "' has " + length + " values, expected " + sampleSize + " (the input shape "
                        + Arrays.toString(sampleShape) + ")");
            }
        }

        IllegalArgumentException nullElement(long rowIndex, int element) {
            return new IllegalArgumentException("row " + rowIndex + " of partition " + partition() + ": column '"
                    + inputName + "' has a null at element " + element);
        }

        /** The model's outputs for {@code n} samples packed row-major in {@code data}, one array per sample. */
        float[][] score(float[] data, int n) {
            int[] dims = new int[sampleShape.length + 1];
            dims[0] = n;
            System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
            Module model = ModelCache.get(modelPath, backendSpec);
            Backend b = model.backend();
            float[] y;
            try (Tensor x = b.upload(n * sampleSize == data.length ? data : Arrays.copyOf(data, n * sampleSize),
                    Shape.of(dims)); Tensor result = forward(model, x)) {
                y = result.toArray();
            }
            int per = y.length / n;
            float[][] out = new float[n][];
            for (int k = 0; k < n; k++) {
                out[k] = Arrays.copyOfRange(y, k * per, (k + 1) * per);
            }
            return out;
        }

        /** The selected output of the model for {@code x}: the first when no name was set. */
        private Tensor forward(Module model, Tensor x) {
            if (outputName == null) {
                return model.forward(x);
            }
            if (!(model instanceof GraphModule g)) {
                if (!outputName.equals("output")) {
                    throw new IllegalArgumentException("outputName '" + outputName + "': the model " + modelPath
                            + " has no such output; its outputs are [output]");
                }
                return model.forward(x);
            }
            Map<String, Tensor> all = g.forwardNamed(x);
            Tensor kept = all.get(outputName);
            all.forEach((k, t) -> {
                if (t != kept) {
                    t.close();
                }
            });
            if (kept == null) {
                throw new IllegalArgumentException("outputName '" + outputName + "': the model " + modelPath
                        + " has no such output; its outputs are " + all.keySet());
            }
            return kept;
        }

        private static String partition() {
            TaskContext tc = TaskContext.get();
            return tc == null ? "?" : Integer.toString(tc.partitionId());
        }
    }

    /**
     * Reads a partition lazily, {@code batchSize} rows at a time; the non-null inputs of a batch go
     * through the model in one forward call; rows come out in their order with the output appended.
     */
    abstract static class Batches<R> implements Iterator<R> {
        private final Iterator<R> rows;
        final Scorer scorer;
        private final List<R> batch;
        private float[][] outputs = new float[0][];
        private int next;
        private long rowIndex;

        Batches(Iterator<R> rows, Scorer scorer) {
            this.rows = rows;
            this.scorer = scorer;
            this.batch = new ArrayList<>(scorer.batchSize);
        }

        /** The row as it may be kept across {@code next()} calls of the upstream iterator. */
        abstract R keep(R row);

        /** Copies the row's input into {@code data} at {@code offset}; false when the input is null. */
        abstract boolean read(R row, float[] data, int offset, long rowIndex);

        /** The row with {@code output} (null for a null input) appended. */
        abstract R emit(R row, float[] output);

        @Override
        public boolean hasNext() {
            if (next < batch.size()) {
                return true;
            }
            if (!rows.hasNext()) {
                return false;
            }
            fill();
            return true;
        }

        @Override
        public R next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            R r = batch.get(next);
            float[] y = outputs[next];
            batch.set(next, null);
            next++;
            return emit(r, y);
        }

        private void fill() {
            batch.clear();
            next = 0;
            while (batch.size() < scorer.batchSize && rows.hasNext()) {
                batch.add(keep(rows.next()));
            }
            float[] data = new float[batch.size() * scorer.sampleSize];
            int[] present = new int[batch.size()];
            int n = 0;
            for (int i = 0; i < batch.size(); i++) {
                if (read(batch.get(i), data, n * scorer.sampleSize, rowIndex + i)) {
                    present[n++] = i;
                }
            }
            outputs = new float[batch.size()][];
            if (n > 0) {
                float[][] y = scorer.score(data, n);
                for (int k = 0; k < n; k++) {
                    outputs[present[k]] = y[k];
                }
            }
            rowIndex += batch.size();
        }
    }

    /** The fast path: Catalyst's rows, the input read with one copy, the output written as an UnsafeArrayData. */
    static final class InternalRowScorer implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
        private static final long serialVersionUID = 1L;
        private final Scorer scorer;
        private final boolean elementsNullable;

        InternalRowScorer(Scorer scorer, boolean elementsNullable) {
            this.scorer = scorer;
            this.elementsNullable = elementsNullable;
        }

        @Override
        public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
            int idx = scorer.inputIndex;
            return new Batches<>(rows, scorer) {
                @Override
                InternalRow keep(InternalRow row) {
                    return row.copy();
                }

                @Override
                boolean read(InternalRow row, float[] data, int offset, long rowIndex) {
                    if (row.isNullAt(idx)) {
                        return false;
                    }
                    ArrayData a = row.getArray(idx);
                    scorer.checkLength(a.numElements(), rowIndex);
                    if (elementsNullable) {
                        for (int j = 0; j < a.numElements(); j++) {
                            if (a.isNullAt(j)) {
                                throw scorer.nullElement(rowIndex, j);
                            }
                        }
                    }
                    System.arraycopy(a.toFloatArray(), 0, data, offset, scorer.sampleSize);
                    return true;
                }

                @Override
                InternalRow emit(InternalRow row, float[] output) {
                    GenericInternalRow appended = new GenericInternalRow(
                            new Object[] {output == null ? null : UnsafeArrayData.fromPrimitiveArray(output)});
                    return new JoinedRow(row, appended);
                }
            };
        }
    }

    /** The portable path through the public Row API (boxes every value: several times slower). */
    static final class RowScorer implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final Scorer scorer;

        RowScorer(Scorer scorer) {
            this.scorer = scorer;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            int idx = scorer.inputIndex;
            return new Batches<>(rows, scorer) {
                @Override
                Row keep(Row row) {
                    return row;
                }

                @Override
                boolean read(Row row, float[] data, int offset, long rowIndex) {
                    if (row.isNullAt(idx)) {
                        return false;
                    }
                    scala.collection.Seq<?> values = row.getSeq(idx);
                    scorer.checkLength(values.length(), rowIndex);
                    for (int j = 0; j < scorer.sampleSize; j++) {
                        Object v = values.apply(j);
                        if (v == null) {
                            throw scorer.nullElement(rowIndex, j);
                        }
                        data[offset + j] = (Float) v;
                    }
                    return true;
                }

                @Override
                Row emit(Row row, float[] output) {
                    Object[] values = new Object[row.length() + 1];
                    for (int i = 0; i < row.length(); i++) {
                        values[i] = row.get(i);
                    }
                    values[row.length()] = output;
                    return RowFactory.create(values);
                }
            };
        }
    }

    /** inputShape: at least one dimension, every one positive. */
    static final class PositiveDims extends AbstractFunction1<int[], Object> implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Object apply(int[] dims) {
            if (dims == null || dims.length == 0) {
                return false;
            }
            for (int d : dims) {
                if (d <= 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** outputName: not blank. */
    static final class NonBlank extends AbstractFunction1<String, Object> implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Object apply(String name) {
            return name != null && !name.isBlank();
        }
    }

    /** backend: auto, cpu, cuda or cuda:N. */
    static final class BackendSpec extends AbstractFunction1<String, Object> implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Object apply(String spec) {
            return spec != null && BACKEND_SPEC.matcher(spec.trim().toLowerCase(Locale.ROOT)).matches();
        }
    }
}
