package org.layers4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;
import org.apache.spark.TaskContext;
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
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;
import scala.runtime.AbstractFunction1;

/**
 * Scores a DataFrame column with a layers4j model file: each row's {@code inputCol} (array&lt;float&gt;,
 * one sample of shape {@code inputShape}, row-major) goes through the model in batches of
 * {@code batchSize} rows per partition, and its output (flattened, array&lt;float&gt;) lands in
 * {@code outputCol}. Rows keep their order; a null input gives a null output.
 *
 * <p>Each executor JVM loads the model once per (modelPath, backend) ({@link ModelCache}); the file
 * must be readable at {@code modelPath} on every executor, or be shipped with {@code --files}
 * (then its file name is looked up with {@code SparkFiles}). The schema is checked on the driver,
 * each row's length on the executor.
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

    public LayersTransformer setBatchSize(int value) {
        set(batchSize, value);
        return this;
    }

    public LayersTransformer setBackend(String value) {
        set(backend, value);
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
        return schema.add(new StructField(out, DataTypes.createArrayType(DataTypes.FloatType, false), true,
                org.apache.spark.sql.types.Metadata.empty()));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType outSchema = transformSchema(dataset.schema(), true);
        Scorer scorer = new Scorer(getModelPath(), getBackend().trim().toLowerCase(Locale.ROOT), getInputShape(),
                getBatchSize(), dataset.schema().fieldIndex(getInputCol()), getInputCol());
        return dataset.toDF().mapPartitions(scorer, Encoders.row(outSchema));
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
     * One partition's work on the executor: rows are read lazily, {@code batchSize} at a time; the
     * non-null ones of a batch go through the model in one forward call.
     */
    static final class Scorer implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final String modelPath;
        private final String backendSpec;
        private final int[] sampleShape;
        private final int batchSize;
        private final int inputIndex;
        private final String inputName;

        Scorer(String modelPath, String backendSpec, int[] sampleShape, int batchSize, int inputIndex, String inputName) {
            this.modelPath = modelPath;
            this.backendSpec = backendSpec;
            this.sampleShape = sampleShape;
            this.batchSize = batchSize;
            this.inputIndex = inputIndex;
            this.inputName = inputName;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new Iterator<>() {
                private final List<Row> batch = new ArrayList<>(batchSize);
                private Object[] outputs = new Object[0];
                private int next;
                private long rowIndex;

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
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    Row r = batch.get(next);
                    Object[] values = new Object[r.length() + 1];
                    for (int i = 0; i < r.length(); i++) {
                        values[i] = r.get(i);
                    }
                    values[r.length()] = outputs[next];
                    next++;
                    return RowFactory.create(values);
                }

                private void fill() {
                    batch.clear();
                    next = 0;
                    while (batch.size() < batchSize && rows.hasNext()) {
                        batch.add(rows.next());
                    }
                    outputs = score(batch, rowIndex);
                    rowIndex += batch.size();
                }
            };
        }

        /** The outputs of one batch (null for a null input), as Spark's array values. */
        Object[] score(List<Row> batch, long firstRowIndex) {
            int sample = 1;
            for (int d : sampleShape) {
                sample *= d;
            }
            Object[] out = new Object[batch.size()];
            int[] present = new int[batch.size()];
            int n = 0;
            float[] data = null;
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i);
                if (r.isNullAt(inputIndex)) {
                    continue;
                }
                scala.collection.Seq<?> values = r.getSeq(inputIndex);
                int len = values.length();
                if (len != sample) {
                    throw new IllegalArgumentException("row " + (firstRowIndex + i) + " of partition " + partition()
                            + ": column '" + inputName + "' has " + len + " values, expected " + sample
                            + " (the input shape " + Arrays.toString(sampleShape) + ")");
                }
                if (data == null) {
                    data = new float[batch.size() * sample];
                }
                int off = n * sample;
                for (int j = 0; j < sample; j++) {
                    Object v = values.apply(j);
                    if (v == null) {
                        throw new IllegalArgumentException("row " + (firstRowIndex + i) + " of partition "
                                + partition() + ": column '" + inputName + "' has a null at element " + j);
                    }
                    data[off + j] = (Float) v;
                }
                present[n++] = i;
            }
            if (n == 0) {
                return out;
            }
            if (n < batch.size()) {
                data = Arrays.copyOf(data, n * sample);
            }
            int[] dims = new int[sampleShape.length + 1];
            dims[0] = n;
            System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
            Module model = ModelCache.get(modelPath, backendSpec);
            Backend b = model.backend();
            float[] y;
            try (Tensor x = b.upload(data, Shape.of(dims)); Tensor result = model.forward(x)) {
                y = result.toArray();
            }
            int per = y.length / n;
            for (int k = 0; k < n; k++) {
                out[present[k]] = Arrays.copyOfRange(y, k * per, (k + 1) * per);
            }
            return out;
        }

        private static String partition() {
            TaskContext tc = TaskContext.get();
            return tc == null ? "?" : Integer.toString(tc.partitionId());
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

    /** backend: auto, cpu, cuda or cuda:N. */
    static final class BackendSpec extends AbstractFunction1<String, Object> implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Object apply(String spec) {
            return spec != null && BACKEND_SPEC.matcher(spec.trim().toLowerCase(Locale.ROOT)).matches();
        }
    }
}
