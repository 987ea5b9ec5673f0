using static TorchSharp.torch;

namespace GradSurgery.Samples.MultiDigits;

/// <summary>
/// MultiMNIST-style two-digit images (Sabour et al. 2017; used by the MGDA and PCGrad papers): a left
/// and a right digit drawn side by side on one canvas, overlapping by <see cref="Overlap"/> columns
/// (pixel = max of the two). Tasks: classify the left digit, classify the right digit.
/// </summary>
internal sealed class TwoDigitDataset
{
    /// <summary>Columns the two 8×8 digits share; they overlap by half, so each task sees the other digit's strokes.</summary>
    public const int Overlap = 4;

    /// <summary>Canvas width: two digits minus the overlap.</summary>
    public const int Width = (2 * DigitImages.Side) - Overlap;

    /// <summary>Pixels per two-digit image.</summary>
    public const int Features = DigitImages.Side * Width;

    /// <summary>The number of tasks (left digit, right digit).</summary>
    public const int TaskCount = 2;

    /// <summary>Classes per task.</summary>
    public const int Classes = 10;

    private TwoDigitDataset(Tensor images, Tensor[] labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>Images [N, <see cref="Features"/>], float32.</summary>
    public Tensor Images { get; }

    /// <summary>Labels per task, each [N] int64.</summary>
    public IReadOnlyList<Tensor> Labels { get; }

    /// <summary>Number of images.</summary>
    public long Count => Images.shape[0];

    /// <summary>
    /// Builds <paramref name="count"/> images from the source images <paramref name="pool"/> (indices
    /// into <paramref name="digits"/>), pairs drawn with a fixed seed.
    /// </summary>
    public static TwoDigitDataset Create(DigitImages digits, IReadOnlyList<int> pool, int count, int seed)
    {
        var random = new Random(seed);
        var images = new float[count * Features];
        var left = new long[count];
        var right = new long[count];
        for (var n = 0; n < count; n++)
        {
            var a = pool[random.Next(pool.Count)];
            var b = pool[random.Next(pool.Count)];
            left[n] = digits.Labels[a];
            right[n] = digits.Labels[b];
            Draw(digits.Pixels[a], images, n, 0);
            Draw(digits.Pixels[b], images, n, DigitImages.Side - Overlap);
        }

        return new TwoDigitDataset(tensor(images, [count, Features]), [tensor(left), tensor(right)]);
    }

    /// <summary>Moves the data to <paramref name="device"/>.</summary>
    public TwoDigitDataset To(Device device) => new(Images.to(device), [.. Labels.Select(l => l.to(device))]);

    private static void Draw(float[] digit, float[] images, int n, int column)
    {
        for (var row = 0; row < DigitImages.Side; row++)
        {
            for (var col = 0; col < DigitImages.Side; col++)
            {
                var index = (n * Features) + (row * Width) + column + col;
                images[index] = Math.Max(images[index], digit[(row * DigitImages.Side) + col]);
            }
        }
    }
}
