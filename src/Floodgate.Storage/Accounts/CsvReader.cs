using System.Text;

namespace Floodgate.Storage.Accounts;

/// <summary>RFC 4180 records with the line each starts on. Quoted fields may hold commas, quotes ("") and newlines.</summary>
internal static class CsvReader
{
    public readonly record struct Record(int Line, IReadOnlyList<string> Fields);

    /// <summary>Reads all records; blank lines are skipped. False with an error on an unterminated quote.</summary>
    public static bool TryReadAll(TextReader reader, out List<Record> records, out string? error)
    {
        var result = new List<Record>();
        records = result;
        error = null;
        var line = 1;
        var field = new StringBuilder();
        var fields = new List<string>();
        var recordLine = 1;
        var inQuotes = false;
        var quotedField = false;
        int c;
        while ((c = reader.Read()) != -1)
        {
            var ch = (char)c;
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    if (ch == '\n')
                        line++;
                    field.Append(ch);
                }

                continue;
            }

            switch (ch)
            {
                case '"' when field.Length == 0 && !quotedField:
                    inQuotes = true;
                    quotedField = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    quotedField = false;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(ch);
                    break;
            }
        }

        if (inQuotes)
        {
            error = $"line {recordLine}: a quoted field is not closed";
            return false;
        }

        EndRecord();
        return true;

        void EndRecord()
        {
            fields.Add(field.ToString());
            field.Clear();
            quotedField = false;
            if (!(fields.Count == 1 && fields[0].Length == 0))
                result.Add(new Record(recordLine, fields.ToArray()));
            fields.Clear();
        }
    }
}
