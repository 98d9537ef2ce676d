import { addMilliseconds } from "date-fns";
import { millisecondsInDay } from "date-fns/constants";

// Whole days of 24 hours. date-fns's addDays keeps the local time of day, so across a daylight-
// saving change in the server's time zone it would move a UTC instant by an hour: a key's
// lifetime, a retention cut-off or an "idle for" filter must not depend on where the server runs.

export const addUtcDays = (date: Date | number, days: number): Date => addMilliseconds(date, days * millisecondsInDay);
export const subUtcDays = (date: Date | number, days: number): Date => addMilliseconds(date, -days * millisecondsInDay);
