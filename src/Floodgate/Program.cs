Console.WriteLine("floodgate");
