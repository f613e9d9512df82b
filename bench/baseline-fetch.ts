/** The cold-init baseline: a Lambda handler that only touches fetch. */
export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  const response = await fetch('http://127.0.0.1:9/');
  return { statusCode: response.status, body: '' };
};
