using System.Globalization;
using System.IO.Compression;

namespace GradSurgery.Samples.MultiDigits;

/// <summary>The UCI handwritten digits: 8×8 images with intensities 0..16 and labels 0..9.</summary>
internal sealed class DigitImages
{
    /// <summary>Image side in pixels.</summary>
    public const int Side = 8;

    /// <summary>Largest pixel intensity in the data set.</summary>
    public const float MaxIntensity = 16;

    private DigitImages(float[][] pixels, int[] labels)
    {
        Pixels = pixels;
        Labels = labels;
    }

    /// <summary>Row-major pixels of each image, scaled to [0, 1].</summary>
    public IReadOnlyList<float[]> Pixels { get; }

    /// <summary>The digit shown by each image.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Reads <c>digits.csv.gz</c> (64 pixel values then the label per line).</summary>
    public static DigitImages Load(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var pixels = new List<float[]>();
        var labels = new List<int>();
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            var fields = line.Split(',');
            if (fields.Length != (Side * Side) + 1)
            {
                throw new InvalidDataException($"{path}: expected {(Side * Side) + 1} fields per line, found {fields.Length}.");
            }

            pixels.Add([.. fields.Take(Side * Side).Select(f => float.Parse(f, CultureInfo.InvariantCulture) / MaxIntensity)]);
            labels.Add(int.Parse(fields[^1], CultureInfo.InvariantCulture));
        }

        return new DigitImages([.. pixels], [.. labels]);
    }
}
